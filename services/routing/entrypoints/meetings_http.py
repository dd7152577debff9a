"""Deliberation meetings and themed activities: staff record them, staff and supervisors read.

A deliberation meeting can also be planned from a proposed agenda, held, and its agenda items
decided: each decision is written back to the cases it names (docs/meetings.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from functools import partial
from typing import Annotated, Protocol, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from pydantic import TypeAdapter

from services.routing.adapters.meeting_repository import MeetingRepository, meeting_key
from services.routing.domain.meeting_agenda import MAX_ITEMS, ProposedItem
from services.routing.domain.meetings import (
    DecideItem,
    HoldMeeting,
    Meeting,
    MeetingNotAllowed,
    NoSuchItem,
    NoSuchMeeting,
    PlanMeeting,
    RecordMeeting,
    can_see_meeting,
    meeting_scope,
)
from services.routing.domain.workflow import STATION_ROLES, Actor
from services.routing.entrypoints.deps import (
    CorrelationId,
    CurrentActor,
    Directories,
    LocalZone,
    Meetings,
    Relay,
)
from services.routing.handlers.meetings import (
    agenda_proposal,
    decide_agenda_item,
    hold_station_meeting,
    plan_station_meeting,
    record_station_meeting,
)
from shared.openapi import answers
from shared.pagination import PAGED_RESPONSE, CursorParam, cursor_key, page_of

router = APIRouter(prefix="/v1/staff/meetings", tags=["meetings"])
T = TypeVar("T")


@answers(403, "Only a station's staff and head plan, hold and decide its meetings.")
async def _station_staff(actor: CurrentActor) -> Actor:
    if actor.role not in STATION_ROLES or actor.station_id is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="only a station's staff and head may do this"
        )
    return actor


StationStaff = Annotated[Actor, Depends(_station_staff)]


@asynccontextmanager
async def domain_errors() -> AsyncIterator[None]:
    """The meetings' own refusals as HTTP answers (NotPermitted, InvalidMeeting and a missing
    directory are answered by routing's error handlers)."""
    try:
        yield
    except NoSuchMeeting as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such meeting") from exc
    except NoSuchItem as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such agenda item") from exc
    except MeetingNotAllowed as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc


async def guarded(step: Awaitable[T]) -> T:
    async with domain_errors():
        return await step


class MeetingStep(Protocol):
    """A step on one stored meeting (`hold_station_meeting`, `decide_agenda_item`) with the
    meeting, the command and the time bound."""

    def __call__(
        self, *, actor: Actor, meetings: MeetingRepository, correlation_id: str
    ) -> Awaitable[Meeting]: ...


class StepTaker(Protocol):
    """A meeting step taken by a station's staff: its refusals as HTTP answers, the outbox
    woken, the meeting as it is now."""

    def __call__(self, step: MeetingStep) -> Awaitable[Meeting]: ...


async def _step_taker(
    actor: StationStaff, meetings: Meetings, relay: Relay, correlation_id: CorrelationId
) -> StepTaker:
    async def take(step: MeetingStep) -> Meeting:
        meeting = await guarded(step(actor=actor, meetings=meetings, correlation_id=correlation_id))
        relay.wake()
        return meeting

    return take


TakeStep = Annotated[StepTaker, Depends(_step_taker)]


@router.get(
    "/agenda-proposal",
    response_model=list[ProposedItem],
    summary="The caller's station's open cases clustered by point, category and distance into "
    "proposed agenda items, biggest first.",
    responses={
        403: {"description": "Only a station's staff and head plan its meetings."},
        409: {"description": "No directory has been imported yet."},
    },
)
async def proposal(
    actor: StationStaff,
    meetings: Meetings,
    directory: Directories,
    liaison_point_id: Annotated[
        str | None,
        Query(max_length=64, description="Only items taking up a case of this point."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ITEMS)] = MAX_ITEMS,
) -> list[ProposedItem]:
    return await agenda_proposal(
        actor=actor,
        meetings=meetings,
        directory=directory,
        liaison_point_id=liaison_point_id,
        limit=limit,
    )


@router.post(
    "/planned",
    response_model=Meeting,
    status_code=status.HTTP_201_CREATED,
    summary="Plan a deliberation meeting of the caller's station: agenda items of its cases, "
    "representatives and residents' deliberators.",
    responses={
        403: {"description": "Only a station's staff and head plan its meetings."},
        409: {"description": "No directory has been imported yet."},
        422: {
            "description": "A point or case not of the caller's station, a case on two items, "
            "an unknown representative, or a day in the past."
        },
    },
)
async def plan(
    body: PlanMeeting,
    actor: StationStaff,
    meetings: Meetings,
    directory: Directories,
    zone: LocalZone,
) -> Meeting:
    now = datetime.now(UTC)
    return await plan_station_meeting(
        command=body,
        actor=actor,
        meetings=meetings,
        directory=directory,
        today=now.astimezone(zone).date(),
        now=now,
    )


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


@router.post(
    "/{meeting_id}/held",
    response_model=Meeting,
    summary="Record that a planned meeting was held: its day, head count, minutes (kept in "
    "routing) and public outcome.",
    responses={
        403: {"description": "Only a station's staff and head hold its meetings."},
        404: {"description": "No such meeting in the caller's station."},
        409: {"description": "The meeting is held already."},
        422: {"description": "A day in the future."},
    },
)
async def held(meeting_id: str, body: HoldMeeting, take: TakeStep, zone: LocalZone) -> Meeting:
    now = datetime.now(UTC)
    return await take(
        partial(
            hold_station_meeting,
            meeting_id=meeting_id,
            command=body,
            today=now.astimezone(zone).date(),
            now=now,
        )
    )


@router.post(
    "/{meeting_id}/items/{item_id}/decision",
    response_model=Meeting,
    summary="Record what the meeting decided on an agenda item: written back to every case it "
    "names, whose residents are told. The same decision again changes nothing.",
    responses={
        403: {"description": "Only a station's staff and head decide its meetings' items."},
        404: {"description": "No such meeting in the caller's station, or no such item."},
        409: {"description": "The meeting is not held yet, or the item has another decision."},
        422: {"description": "A case not on the item."},
    },
)
async def decision(meeting_id: str, item_id: str, body: DecideItem, take: TakeStep) -> Meeting:
    return await take(
        partial(
            decide_agenda_item,
            meeting_id=meeting_id,
            item_id=item_id,
            command=body,
            now=datetime.now(UTC),
        )
    )
