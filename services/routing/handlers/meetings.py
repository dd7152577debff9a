"""routing's use cases for deliberation meetings and themed activities."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from services.routing.adapters.case_documents import audit_entry
from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.adapters.meeting_repository import MeetingRepository
from services.routing.domain.directory import Directory
from services.routing.domain.meeting_agenda import MAX_ITEMS, ProposedItem, propose_agenda
from services.routing.domain.meetings import (
    DecideItem,
    HoldMeeting,
    Meeting,
    MeetingNotAllowed,
    NoSuchMeeting,
    PlanMeeting,
    RecordMeeting,
    can_see_meeting,
    decide_item,
    decided_events,
    hold_meeting,
    meeting_recorded,
    meeting_scope,
    plan_meeting,
    record_meeting,
    unique,
)
from services.routing.domain.workflow import Actor, NotPermitted
from services.routing.handlers.common import SOURCE
from services.routing.handlers.directory import DirectoryNotLoaded
from shared.events.envelope import Envelope
from shared.logging import get_logger

log = get_logger(__name__)

AGENDA_CASES = 2000
"""The most open cases a proposal reads (newest first): a station's open work, with room."""


def _millis(now: datetime) -> datetime:
    # The store keeps milliseconds: answer with what a later read returns.
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


async def _directory(directory: DirectoryRepository) -> Directory:
    snapshot = await directory.load()
    if snapshot is None:
        # Not an outage to wait out (503) but a deployment to finish: import a directory (409).
        raise DirectoryNotLoaded
    return snapshot


async def record_station_meeting(
    *,
    command: RecordMeeting,
    actor: Actor,
    meetings: MeetingRepository,
    directory: DirectoryRepository,
    correlation_id: str,
    today: date,
    now: datetime,
) -> Meeting:
    """Store the meeting with its event, then link each case it lists back to it.

    Two collections and no transaction: the links follow the insert, and each is an idempotent
    `$addToSet`, so linking the same meeting again only adds what is missing."""
    # The store keeps milliseconds: answer with what a later read returns.
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    snapshot = await directory.load()
    if snapshot is None:
        # Not an outage to wait out (503) but a deployment to finish: import a directory (409).
        raise DirectoryNotLoaded
    station_cases = (
        await meetings.station_cases(station_id=actor.station_id, case_ids=unique(command.case_ids))
        if actor.station_id
        else frozenset()
    )
    meeting = record_meeting(
        command,
        meeting_id=str(uuid.uuid4()),
        actor=actor,
        directory=snapshot,
        station_cases=station_cases,
        today=today,
        now=now,
    )
    event = Envelope.wrap(
        meeting_recorded(meeting),
        source=SOURCE,
        subject=meeting.meeting_id,
        correlation_id=correlation_id,
        time=now,
    )
    await meetings.add(meeting, event=event)
    linked = await meetings.link_cases(meeting_id=meeting.meeting_id, case_ids=meeting.case_ids)
    log.info(
        "meeting.recorded",
        meeting_id=meeting.meeting_id,
        station=meeting.station_id,
        kind=meeting.kind,
        cases=len(meeting.case_ids),
        linked=linked,
    )
    return meeting


async def agenda_proposal(
    *,
    actor: Actor,
    meetings: MeetingRepository,
    directory: DirectoryRepository,
    liaison_point_id: str | None,
    limit: int = MAX_ITEMS,
) -> list[ProposedItem]:
    """The station's open cases clustered into proposed agenda items, biggest first."""
    station = meeting_scope(actor)
    if station is None:
        raise NotPermitted("an agenda is proposed for a station's own staff")
    snapshot = await _directory(directory)
    cases = await meetings.open_cases(station_id=station, limit=AGENDA_CASES)
    return propose_agenda(cases, directory=snapshot, liaison_point_id=liaison_point_id, limit=limit)


async def plan_station_meeting(
    *,
    command: PlanMeeting,
    actor: Actor,
    meetings: MeetingRepository,
    directory: DirectoryRepository,
    today: date,
    now: datetime,
) -> Meeting:
    """Store the planned meeting (no event: nothing was held yet), then link its cases."""
    snapshot = await _directory(directory)
    case_ids = unique([c for item in command.agenda for c in item.case_ids])
    station_cases = (
        await meetings.station_cases(station_id=actor.station_id, case_ids=case_ids)
        if actor.station_id
        else frozenset()
    )
    meeting = plan_meeting(
        command,
        meeting_id=str(uuid.uuid4()),
        actor=actor,
        directory=snapshot,
        station_cases=station_cases,
        today=today,
        now=_millis(now),
    )
    await meetings.add(meeting, event=None)
    linked = await meetings.link_cases(meeting_id=meeting.meeting_id, case_ids=meeting.case_ids)
    log.info(
        "meeting.planned",
        meeting_id=meeting.meeting_id,
        station=meeting.station_id,
        items=len(meeting.agenda),
        cases=len(meeting.case_ids),
        linked=linked,
    )
    return meeting


async def _managed(meetings: MeetingRepository, meeting_id: str, actor: Actor) -> Meeting:
    found = await meetings.get(meeting_id)
    if found is None or not can_see_meeting(found, actor):
        raise NoSuchMeeting(meeting_id)
    return found


async def hold_station_meeting(
    *,
    meeting_id: str,
    command: HoldMeeting,
    actor: Actor,
    meetings: MeetingRepository,
    correlation_id: str,
    today: date,
    now: datetime,
) -> Meeting:
    """Record that the planned meeting was held, with its `meeting.recorded` event."""
    current = await _managed(meetings, meeting_id, actor)
    held = hold_meeting(current, command, actor=actor, today=today)
    event = Envelope.wrap(
        meeting_recorded(held),
        source=SOURCE,
        subject=meeting_id,
        correlation_id=correlation_id,
        time=_millis(now),
    )
    if not await meetings.hold(held, event=event):
        # Held (or stepped) by someone else meanwhile: refused as the domain refuses it.
        raise MeetingNotAllowed("the meeting is already held")
    log.info("meeting.held", meeting_id=meeting_id, station=held.station_id)
    return held


async def decide_agenda_item(
    *,
    meeting_id: str,
    item_id: str,
    command: DecideItem,
    actor: Actor,
    meetings: MeetingRepository,
    correlation_id: str,
    now: datetime,
) -> Meeting:
    """Record the item's decision with one `case.meeting_decided` per case it names, then
    write it back to each of those cases' audit trail. The same decision again changes
    nothing and tells no one twice."""
    current = await _managed(meetings, meeting_id, actor)
    decided, decision = decide_item(current, item_id, command, actor=actor, now=_millis(now))
    if decision is None:
        return decided
    item = decided.item(item_id)
    assert item is not None
    states = await meetings.case_states(decision.case_ids)
    stations = {c: station for c, (station, _) in states.items()}
    events = [
        Envelope.wrap(event, source=SOURCE, subject=event.case_id, correlation_id=correlation_id)
        for event in decided_events(decided, item, decision, stations=stations, actor=actor)
    ]
    if not await meetings.decide(decided, item_id=item_id, decision=decision, events=events):
        # Someone stepped the meeting meanwhile: judge this command against what they wrote.
        return await decide_agenda_item(
            meeting_id=meeting_id,
            item_id=item_id,
            command=command,
            actor=actor,
            meetings=meetings,
            correlation_id=correlation_id,
            now=now,
        )
    entries = {
        case_id: audit_entry(
            at=decision.decided_at,
            actor_role=actor.role,
            actor_id=actor.username,
            action="meeting_decision",
            source=status,
            target=status,
            note=f"{item.title}：{decision.text}",
        )
        for case_id, (_, status) in states.items()
    }
    written = await meetings.write_back(meeting_id=meeting_id, entries=entries)
    log.info(
        "meeting.item_decided",
        meeting_id=meeting_id,
        item_id=item_id,
        cases=len(decision.case_ids),
        written_back=written,
    )
    return decided
