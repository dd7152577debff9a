"""Deliberation meetings on the real store: the agenda reads only the station's cases that are
not over, and an item's decision is written once, with one case event per case, even when two
staff decide it at the same moment."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from pymongo import AsyncMongoClient

from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.adapters.directory_repository import DEMO_DIRECTORY, read_directory_file
from services.routing.adapters.meeting_repository import MeetingRepository
from services.routing.domain.meetings import (
    AgendaItemPlan,
    DecideItem,
    HoldMeeting,
    Meeting,
    MeetingNotAllowed,
    PlanMeeting,
    hold_meeting,
    plan_meeting,
)
from services.routing.domain.workflow import Actor
from services.routing.handlers.meetings import decide_agenda_item
from shared.mongo import Document
from shared.outbox import OUTBOX
from tests.conftest import PlumbingSettings
from tests.integration.test_house_repair_and_meetings_store import add_case

STAFF = Actor(role="staff", username="xijie-staff", station_id="xijie")
HEAD = Actor(role="station_head", username="xijie-head", station_id="xijie")
TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def held_meeting(meetings: MeetingRepository, case_ids: list[str]) -> Meeting:
    planned = plan_meeting(
        PlanMeeting(
            planned_on=TODAY,
            topic="停车议事会",
            agenda=[AgendaItemPlan(title="停车难", case_ids=case_ids)],
        ),
        meeting_id=f"m-{case_ids[0]}",
        actor=STAFF,
        directory=read_directory_file(DEMO_DIRECTORY),
        station_cases=frozenset(case_ids),
        today=TODAY,
        now=NOW,
    )
    held = hold_meeting(
        planned,
        HoldMeeting(attendance=9, minutes="纪要", outcome="议定改建停车场"),
        actor=STAFF,
        today=TODAY,
    )
    await meetings.add(held, event=None)
    return held


async def test_the_agenda_reads_the_stations_cases_that_are_not_over(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    db = mongo[settings.database_name]
    cases = RoutedCaseRepository(db)
    await cases.ensure_indexes()
    meetings = MeetingRepository(db)
    open_ids = {
        await add_case(cases, category="parking", status=s) for s in ("handling", "responded")
    }
    over = {await add_case(cases, category="parking", status=s) for s in ("closed", "merged")}
    elsewhere = await add_case(cases, station="jianchi", category="parking")
    found = {c.case_id for c in await meetings.open_cases(station_id="xijie", limit=1000)}
    assert open_ids <= found
    assert not (over | {elsewhere}) & found
    assert len(await meetings.open_cases(station_id="xijie", limit=1)) == 1


async def test_two_staff_deciding_one_item_at_once_write_one_decision_and_its_events(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    db = mongo[settings.database_name]
    cases = RoutedCaseRepository(db)
    await cases.ensure_indexes()
    meetings = MeetingRepository(db)
    await meetings.ensure_indexes()
    case_ids = [await add_case(cases, category="parking") for _ in range(3)]
    meeting = await held_meeting(meetings, case_ids)

    async def decide(actor: Actor, text: str) -> str:
        try:
            await decide_agenda_item(
                meeting_id=meeting.meeting_id,
                item_id="1",
                command=DecideItem(decision=text),
                actor=actor,
                meetings=meetings,
                correlation_id="race",
                now=NOW,
            )
        except MeetingNotAllowed:
            return "refused"
        return "decided"

    outcomes = await asyncio.gather(decide(STAFF, "改建停车场"), decide(HEAD, "另行研究"))
    assert sorted(outcomes) == ["decided", "refused"]
    # The same decision again, twice at once: nothing more is written or published.
    stored = await meetings.get(meeting.meeting_id)
    assert stored is not None and stored.agenda[0].decision is not None
    text = stored.agenda[0].decision.text
    again = await asyncio.gather(decide(STAFF, text), decide(HEAD, text))
    assert list(again) == ["decided", "decided"]

    document = await meetings.collection.find_one({"_id": meeting.meeting_id})
    assert document is not None
    events = [e["event"] for e in document[OUTBOX].values()]
    assert sorted(e["subject"] for e in events) == sorted(case_ids)
    assert {e["type"] for e in events} == {"case.meeting_decided"}
    # Written back to each case: linked, one audit entry, its version untouched.
    for case_id in case_ids:
        case = await cases.get(case_id)
        assert case is not None
        assert meeting.meeting_id in case["meetings"] and case["version"] == 1
        assert [a["action"] for a in case["audit"]].count("meeting_decision") == 1
