"""House-repair stages and meetings on the real store and broker."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime

from pymongo import AsyncMongoClient

from services.routing.adapters.case_documents import assignment_document
from services.routing.adapters.case_repository import RoutedCaseRepository, VersionConflict
from services.routing.adapters.directory_repository import DEMO_DIRECTORY, read_directory_file
from services.routing.adapters.house_repository import HouseChanged, HouseRepository, house_key
from services.routing.adapters.meeting_repository import MeetingRepository
from services.routing.domain.assignment import RoutingDecision
from services.routing.domain.house_repair import FollowsHouse, Stage, StageChangeNotAllowed
from services.routing.domain.houses import House, RegisterHouse, register_house
from services.routing.domain.meetings import Meeting
from services.routing.domain.sla import Deadlines
from services.routing.domain.workflow import Actor
from services.routing.handlers.house_repair import (
    change_house_stage,
    house_stage_counts,
    link_house_case,
    move_house_stage,
)
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
DIRECTORY = read_directory_file(DEMO_DIRECTORY)


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


def house(address: str, *, station: str = "xijie") -> tuple[House, Envelope]:
    actor = Actor(role="staff", username=f"{station}-staff", station_id=station)
    command = RegisterHouse(address=address, floor_area_m2=100.0, households=["1-101", "1-201"])
    built, event = register_house(
        command, house_id=str(uuid.uuid4()), actor=actor, directory=DIRECTORY, now=AT
    )
    return built, Envelope.wrap(event, source="test", subject=built.house_id, correlation_id="h")


async def houses_of(
    mongo: AsyncMongoClient[Document], settings: PlumbingSettings
) -> HouseRepository:
    houses = HouseRepository(mongo[settings.database_name])
    await houses.ensure_indexes()
    return houses


async def test_stage_counts_count_houses_each_once_per_station_not_cases(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    cases = RoutedCaseRepository(mongo[settings.database_name])
    houses = await houses_of(mongo, settings)
    shared, event = house("解放街 12 号")
    await houses.add(shared, event=event)
    for _ in range(3):
        case_id = await add_case(cases)
        await link_house_case(
            house_id=shared.house_id,
            case_id=case_id,
            actor=STAFF,
            houses=houses,
            cases=cases,
            correlation_id="c",
        )
    await move_house_stage(
        house_id=shared.house_id,
        stage="design",
        note=None,
        actor=STAFF,
        houses=houses,
        cases=cases,
        correlation_id="c",
    )
    for address, station in (("解放街 14 号", "xijie"), ("剑池路 1 号", "jianchi")):
        built, event = house(address, station=station)
        await houses.add(built, event=event)
    await add_case(cases)  # a case with no house is not a house

    xijie = await house_stage_counts(houses=houses, station_id="xijie")
    assert (xijie["under_governance"], xijie["design"], sum(xijie.values())) == (1, 1, 2)
    city = await house_stage_counts(houses=houses, station_id=None)
    assert (city["under_governance"], sum(city.values())) == (2, 3)


async def test_a_house_moves_its_linked_cases_being_handled_and_only_those(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    cases = RoutedCaseRepository(mongo[settings.database_name])
    houses = await houses_of(mongo, settings)
    built, event = house("解放街 20 号")
    await houses.add(built, event=event)
    handling, closed = await add_case(cases), await add_case(cases, status="closed")
    for case_id in (handling, closed):
        linked = await link_house_case(
            house_id=built.house_id,
            case_id=case_id,
            actor=STAFF,
            houses=houses,
            cases=cases,
            correlation_id="c",
        )
    assert linked.case_ids == [handling, closed] and linked.version == 3
    stored = await cases.get(handling)
    assert stored is not None and stored["house_id"] == built.house_id
    assert stored["version"] == 1  # a link is not a state change of the case
    moved = await move_house_stage(
        house_id=built.house_id,
        stage="design",
        note="设计单位进场",
        actor=STAFF,
        houses=houses,
        cases=cases,
        correlation_id="c",
    )
    assert moved.stage == "design" and moved.version == 4
    followed = await cases.get(handling)
    assert followed is not None and followed["house_repair"]["stage"] == "design"
    assert [(h["from"], h["to"]) for h in followed["house_repair"]["history"]] == [
        ("under_governance", "design")
    ]
    kept = await cases.get(closed)
    assert kept is not None and "house_repair" not in kept
    # On its own, a linked case's stage is refused: it follows its house.
    try:
        await change_house_stage(
            case_id=handling,
            stage="repairing",
            note=None,
            actor=STAFF,
            cases=cases,
            correlation_id="c",
        )
    except FollowsHouse as refused:
        assert refused.house_id == built.house_id
    else:
        raise AssertionError("a linked case moved on its own")
    raw = await houses.collection.find_one({"_id": built.house_id})
    assert raw is not None and raw[OUTBOX_COUNT] == 4  # registered, two links, the stage


async def test_two_concurrent_house_moves_from_one_version_let_exactly_one_win(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    cases = RoutedCaseRepository(mongo[settings.database_name])
    houses = await houses_of(mongo, settings)
    built, event = house("解放街 22 号")
    await houses.add(built, event=event)

    async def attempt(stage: Stage) -> str:
        try:
            await move_house_stage(
                house_id=built.house_id,
                stage=stage,
                note=None,
                actor=STAFF,
                houses=houses,
                cases=cases,
                correlation_id="race",
                expected_version=1,
            )
        except HouseChanged as lost:
            assert lost.precondition_failed and lost.current is not None
            return "conflict"
        return stage

    results = await asyncio.gather(attempt("design"), attempt("expropriated"))
    assert sorted(results).count("conflict") == 1
    stored = await houses.get(built.house_id)
    assert stored is not None and stored.version == 2
    assert stored.stage == next(r for r in results if r != "conflict")


async def test_houses_are_paged_by_address_and_found_by_its_start(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    houses = await houses_of(mongo, settings)
    addresses = [f"河星村 {n:02d} 号" for n in range(25)] + ["Baiyun Road 3", "baiyun road 1"]
    for address in addresses:
        built, event = house(address)
        await houses.add(built, event=event)
    elsewhere, event = house("河星村 99 号", station="jianchi")
    await houses.add(elsewhere, event=event)

    seen: list[House] = []
    after = None
    while True:
        found = await houses.list_houses(station_ids=["xijie"], limit=10, after=after)
        page = found[:10]
        seen.extend(page)
        if len(found) <= 10:
            break
        after = house_key(page[-1])
    assert [h.address for h in seen] == sorted(addresses, key=str.casefold)
    hits = await houses.list_houses(station_ids=["xijie"], address="河星村 1", limit=50)
    assert [h.address for h in hits] == [f"河星村 {n} 号" for n in range(10, 20)]
    folded = await houses.list_houses(station_ids=["xijie"], address="BAIYUN  road", limit=50)
    assert [h.address for h in folded] == ["baiyun road 1", "Baiyun Road 3"]
    city = await houses.list_houses(station_ids=["xijie", "jianchi"], address="河星村 9", limit=50)
    assert {h.station_id for h in city} == {"jianchi"}
    # A city's list passes station by station: a page that ends in one goes on in the next.
    first = await houses.list_houses(station_ids=["xijie", "jianchi"], limit=1)
    rest = await houses.list_houses(
        station_ids=["xijie", "jianchi"], limit=100, after=house_key(first[0])
    )
    assert first[0].station_id == "jianchi" and len(rest) == len(addresses)


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
    # The event carries the record, not what a planned meeting keeps in routing (names, minutes).
    expected = item.model_dump(include=set(MeetingRecorded.model_fields))
    assert envelope.payload(MeetingRecorded).model_dump() == expected
