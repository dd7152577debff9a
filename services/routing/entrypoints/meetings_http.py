"""Deliberation meetings and themed activities: staff record them, staff and supervisors read."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import TypeAdapter

from services.routing.adapters.meeting_repository import meeting_key
from services.routing.domain.meetings import (
    Meeting,
    RecordMeeting,
    can_see_meeting,
    meeting_scope,
)
from services.routing.entrypoints.deps import (
    CorrelationId,
    CurrentActor,
    Directories,
    LocalZone,
    Meetings,
    Relay,
)
from services.routing.handlers.meetings import record_station_meeting
from shared.pagination import PAGED_RESPONSE, CursorParam, cursor_key, page_of

router = APIRouter(prefix="/v1/staff/meetings", tags=["meetings"])

# A list's cursor: the last meeting's (held_on, recorded_at, meeting id).
_MEETING_KEY: TypeAdapter[tuple[date, datetime, str]] = TypeAdapter(tuple[date, datetime, str])


@router.post(
    "",
    response_model=Meeting,
    status_code=status.HTTP_201_CREATED,
    summary="Record a deliberation meeting or themed activity of the caller's station.",
    responses={
        403: {"description": "Only a station's staff and head record its meetings."},
        409: {"description": "No directory has been imported yet."},
        422: {"description": "A point or case not of the caller's station, or a future day."},
    },
)
async def record(
    body: RecordMeeting,
    actor: CurrentActor,
    meetings: Meetings,
    directory: Directories,
    relay: Relay,
    zone: LocalZone,
    correlation_id: CorrelationId,
) -> Meeting:
    now = datetime.now(UTC)
    meeting = await record_station_meeting(
        command=body,
        actor=actor,
        meetings=meetings,
        directory=directory,
        correlation_id=correlation_id,
        today=now.astimezone(zone).date(),
        now=now,
    )
    relay.wake()
    return meeting


@router.get(
    "",
    response_model=list[Meeting],
    summary="Meetings in the caller's scope, newest first; `since`/`until` are inclusive; the "
    "next page's cursor is in the `Next-Cursor` header.",
    responses={
        **PAGED_RESPONSE,
        403: {"description": "Representatives and departments have no scope here."},
    },
)
async def list_meetings(
    actor: CurrentActor,
    meetings: Meetings,
    response: Response,
    cursor: CursorParam = None,
    since: date | None = None,
    until: date | None = None,
    station: Annotated[
        str | None, Query(max_length=64, description="Supervisors and admins: one station.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Meeting]:
    scope = meeting_scope(actor)
    if scope is not None and station is not None and station != scope:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="staff see only their station")
    after = cursor_key(cursor, _MEETING_KEY)
    found = await meetings.list_meetings(
        station_id=scope or station, since=since, until=until, limit=limit + 1, after=after
    )
    page = page_of(found, limit=limit, key=meeting_key)
    page.announce(response)
    return page.items


@router.get(
    "/{meeting_id}",
    response_model=Meeting,
    summary="One meeting.",
    responses={404: {"description": "No such meeting in the caller's scope."}},
)
async def get_meeting(meeting_id: str, actor: CurrentActor, meetings: Meetings) -> Meeting:
    meeting = await meetings.get(meeting_id)
    if meeting is None or not can_see_meeting(meeting, actor):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such meeting")
    return meeting
