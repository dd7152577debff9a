"""routing's use cases for deliberation meetings and themed activities."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.adapters.meeting_repository import MeetingRepository
from services.routing.domain.meetings import (
    Meeting,
    RecordMeeting,
    meeting_recorded,
    record_meeting,
    unique,
)
from services.routing.domain.workflow import Actor
from services.routing.handlers.common import SOURCE
from services.routing.handlers.directory import DirectoryNotLoaded
from shared.events.envelope import Envelope
from shared.logging import get_logger

log = get_logger(__name__)


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
