"""House-repair stages and meetings on the real store and broker."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime

from pymongo import AsyncMongoClient

from services.routing.adapters.case_documents import assignment_document
from services.routing.adapters.case_repository import RoutedCaseRepository, VersionConflict
from services.routing.adapters.meeting_repository import MeetingRepository
from services.routing.domain.assignment import RoutingDecision
from services.routing.domain.house_repair import Stage, StageChangeNotAllowed
from services.routing.domain.meetings import Meeting
from services.routing.domain.sla import Deadlines
from services.routing.domain.workflow import Actor
from services.routing.handlers.house_repair import change_house_stage, house_stage_counts
from shared.events.activity_events import MeetingRecorded
from shared.events.case_events import CaseAssigned
from shared.events.envelope import Envelope
from shared.metrics import Metrics
from shared.mongo import Document
from shared.outbox import OUTBOX_COUNT, OutboxRelay
from shared.producer import EventPublisher
from shared.topics import STATION_ACTIVITIES
from tests.conftest import PlumbingSettings
from tests.kafka_tools import read_topic

AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
STAFF = Actor(role="staff", username="xijie-staff", station_id="xijie")


async def add_case(
    cases: RoutedCaseRepository,
    *,
    station: str = "xijie",
    category: str = "house_repair",
    status: str = "handling",
) -> str:
    case_id = str(uuid.uuid4())
    decision = RoutingDecision(
        station_id=station,
        station_name=station,
        liaison_point_id=None,
        representative_code="0416",
        representative_name=None,
        reason="test",
    )
    assigned = Envelope.wrap(
        CaseAssigned(
            case_id=case_id,
            category=category,
            station_id=station,
            station_name=station,
            reason="test",
            assigned_at=AT,
        ),
        source="test",
        subject=case_id,
        correlation_id="house-test",
    )
    await cases.add_assignments(
        [
            assignment_document(
                case_id=case_id,
                category=category,
                text="房屋漏水",
                channel="web",
                submitted_at=AT,
                decision=decision,
                cause_event_id="x",
                assigned_at=AT,
                deadlines=Deadlines(accept_due=AT, respond_due=AT),
                event=assigned,
            )
        ]
    )
    await cases.collection.update_one({"_id": case_id}, {"$set": {"status": status}})
    return case_id


def meeting(case_ids: list[str], *, held_on: date, station: str = "xijie") -> Meeting:
    return Meeting(
        meeting_id=str(uuid.uuid4()),
        kind="deliberation_meeting",
        station_id=station,
        liaison_point_id=None,
        held_on=held_on,
        topic="危旧房治理议事会",
        attendance=12,
        case_ids=case_ids,
        outcome="议定先修缮两户",
        recorded_by="xijie-staff",
        recorded_at=AT,
    )


def recorded(item: Meeting) -> Envelope:
    return Envelope.wrap(
        MeetingRecorded(**item.model_dump()),
        source="test",
        subject=item.meeting_id,
        correlation_id="meeting-test",
    )


async def test_two_concurrent_stage_changes_from_one_version_let_exactly_one_win(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    cases = RoutedCaseRepository(mongo[settings.database_name])
    await cases.ensure_indexes()
    case_id = await add_case(cases)

    async def attempt(stage: Stage) -> str:
        try:
            await change_house_stage(
                case_id=case_id,
                stage=stage,
                note=None,
                actor=STAFF,
                cases=cases,
                correlation_id="race",
                expected_version=1,
            )
        except VersionConflict:
            return "conflict"
        return stage

    results = await asyncio.gather(attempt("design"), attempt("expropriated"))
    assert sorted(results).count("conflict") == 1
    stored = await cases.get(case_id)
    assert stored is not None
    winner = next(r for r in results if r != "conflict")
    assert stored["house_repair"]["stage"] == winner
    assert [(h["from"], h["to"]) for h in stored["house_repair"]["history"]] == [
        ("under_governance", winner)
    ]
    assert stored["version"] == 2
    assert [a["action"] for a in stored["audit"]] == ["assign", "change_stage"]
    # The assignment and the one stage change wait in the outbox.
    raw = await cases.collection.find_one({"_id": case_id})
    assert raw is not None and raw[OUTBOX_COUNT] == 2


async def test_concurrent_stage_changes_without_a_version_are_each_decided_on_the_fresh_case(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    cases = RoutedCaseRepository(mongo[settings.database_name])
    await cases.ensure_indexes()
    case_id = await add_case(cases)

    async def change(stage: Stage) -> str:
        try:
            await change_house_stage(
                case_id=case_id,
                stage=stage,
                note=None,
                actor=STAFF,
                cases=cases,
                correlation_id="race",
            )
        except StageChangeNotAllowed as refused:
            return f"refused at {refused.current}"
        return stage

    # Never a version conflict: the loser reads the winner's stage and decides again.
    results = sorted(await asyncio.gather(change("design"), change("expropriated")))
    stored = await cases.get(case_id)
    assert stored is not None
    history = [(h["from"], h["to"]) for h in stored["house_repair"]["history"]]
    if results == ["design", "expropriated"]:  # design first: expropriation still allowed
        assert history == [("under_governance", "design"), ("design", "expropriated")]
        assert stored["version"] == 3
    else:  # expropriated first: nothing follows an expropriation
        assert results == ["expropriated", "refused at expropriated"]
        assert history == [("under_governance", "expropriated")]
        assert stored["version"] == 2


async def test_stage_counts_are_per_station_and_skip_unapproved_cases(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    cases = RoutedCaseRepository(mongo[settings.database_name])
    await add_case(cases)  # approved, never moved: under governance
    designed = await add_case(cases, status="transferred")
    await change_house_stage(
        case_id=designed, stage="design", note=None, actor=STAFF, cases=cases, correlation_id="c"
    )
    await add_case(cases, status="in_review")  # not approved: no stage yet
    await add_case(cases, category="parking")
    await add_case(cases, station="jianchi")

    xijie = await house_stage_counts(cases=cases, station_id="xijie")
    assert (xijie["under_governance"], xijie["design"], sum(xijie.values())) == (1, 1, 2)
    city = await house_stage_counts(cases=cases, station_id=None)
    assert (city["under_governance"], sum(city.values())) == (2, 3)


async def test_a_meeting_links_back_to_its_cases_once_and_leaves_their_version(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    db = mongo[settings.database_name]
    cases = RoutedCaseRepository(db)
    meetings = MeetingRepository(db)
    await meetings.ensure_indexes()
    ours, other = await add_case(cases), await add_case(cases)
    theirs = await add_case(cases, station="jianchi")

    found = await meetings.station_cases(station_id="xijie", case_ids=[ours, theirs, "nope"])
    assert found == {ours}
    assert await meetings.station_cases(station_id="xijie", case_ids=[]) == frozenset()

    first = meeting([ours, other], held_on=date(2026, 11, 20))
    await meetings.add(first, event=recorded(first))
    assert await meetings.link_cases(meeting_id=first.meeting_id, case_ids=first.case_ids) == 2
    assert await meetings.link_cases(meeting_id=first.meeting_id, case_ids=first.case_ids) == 0
    second = meeting([ours], held_on=date(2026, 11, 22))
    await meetings.add(second, event=recorded(second))
    await meetings.link_cases(meeting_id=second.meeting_id, case_ids=second.case_ids)

    linked = await cases.get(ours)
    assert linked is not None
    assert linked["meetings"] == [first.meeting_id, second.meeting_id]
    assert linked["version"] == 1  # a link is not a state change
    assert await meetings.get(first.meeting_id) == first
    assert await meetings.get("no-such-meeting") is None


async def test_meetings_are_listed_newest_first_by_station_and_inclusive_days(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    meetings = MeetingRepository(mongo[settings.database_name])
    await meetings.ensure_indexes()
    days = [date(2026, 11, d) for d in (18, 20, 22)]
    held = [meeting([], held_on=d) for d in days]
    elsewhere = meeting([], held_on=date(2026, 11, 20), station="jianchi")
    for item in [*held, elsewhere]:
        await meetings.add(item, event=recorded(item))

    def ids(items: list[Meeting]) -> list[str]:
        return [m.meeting_id for m in items]

    everything = await meetings.list_meetings(station_id="xijie")
    assert ids(everything) == ids(held[::-1])
    window = await meetings.list_meetings(station_id="xijie", since=days[1], until=days[2])
    assert ids(window) == [held[2].meeting_id, held[1].meeting_id]
    assert ids(await meetings.list_meetings(station_id="xijie", until=days[0])) == ids(held[:1])
    assert len(await meetings.list_meetings(station_id=None)) == 4
    assert len(await meetings.list_meetings(station_id=None, limit=2)) == 2


async def test_the_recorded_meeting_reaches_the_activities_topic_keyed_by_its_id(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    meetings = MeetingRepository(mongo[settings.database_name])
    await meetings.ensure_indexes()
    item = meeting([], held_on=date(2026, 11, 20))
    await meetings.add(item, event=recorded(item))

    publisher = EventPublisher(settings=settings, metrics=Metrics("probe"))
    await asyncio.wait_for(publisher.start(), 30)
    relay = OutboxRelay(
        collections=[meetings.collection],
        publisher=publisher,
        settings=settings,
        metrics=Metrics("probe"),
    )
    try:
        assert await relay.publish_pending() == 1
        assert await relay.publish_pending() == 0
    finally:
        await publisher.stop()

    records = await read_topic(
        settings.kafka_bootstrap, settings.topic(STATION_ACTIVITIES), expect=1
    )
    assert [r.key for r in records] == [item.meeting_id.encode()]
    envelope = Envelope.from_bytes(records[0].value)
    assert envelope.payload(MeetingRecorded).model_dump() == item.model_dump()
