"""Deliberation meetings and themed activities: staff record them, staff and supervisors read."""

# No `from __future__ import annotations`: FastAPI must see the local dependency alias.

from datetime import UTC, date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, status

from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.adapters.meeting_repository import MeetingRepository
from services.routing.domain.meetings import (
    InvalidMeeting,
    Meeting,
    RecordMeeting,
    can_see_meeting,
    meeting_scope,
)
from services.routing.entrypoints.staff_http import actor_from
from services.routing.meeting_handlers import record_station_meeting
from services.routing.settings import RoutingSettings
from shared.auth import Claims, claims_dependency
from shared.logging import current_correlation_id, new_correlation_id
from shared.outbox import OutboxRelay


def build_router(
    *,
    settings: RoutingSettings,
    meetings: MeetingRepository,
    directory: DirectoryRepository,
    relay: OutboxRelay,
) -> APIRouter:
    router = APIRouter(prefix="/v1/staff/meetings", tags=["meetings"])
    current: Any = claims_dependency(settings.jwt_secret.get_secret_value())
    CurrentClaims = Annotated[Claims, Depends(current)]
    zone = ZoneInfo(settings.timezone)

    @router.post(
        "",
        response_model=Meeting,
        status_code=status.HTTP_201_CREATED,
        summary="Record a deliberation meeting or themed activity of the caller's station.",
        responses={
            403: {"description": "Only a station's staff and head record its meetings."},
            422: {"description": "A point or case not of the caller's station, or a future day."},
        },
    )
    async def record(body: RecordMeeting, claims: CurrentClaims) -> Meeting:
        actor = actor_from(claims)
        now = datetime.now(UTC)
        try:
            meeting = await record_station_meeting(
                command=body,
                actor=actor,
                meetings=meetings,
                directory=directory,
                correlation_id=current_correlation_id() or new_correlation_id(),
                today=now.astimezone(zone).date(),
                now=now,
            )
        except InvalidMeeting as exc:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail=[
                    {"loc": ["body"], "field": "", "msg": problem, "type": "value_error"}
                    for problem in exc.problems
                ],
            ) from None
        relay.wake()
        return meeting

    @router.get(
        "",
        response_model=list[Meeting],
        summary="Meetings in the caller's scope, newest first; `since`/`until` are inclusive.",
        responses={403: {"description": "Representatives and departments have no scope here."}},
    )
    async def list_meetings(
        claims: CurrentClaims,
        since: date | None = None,
        until: date | None = None,
        station: Annotated[
            str | None, Query(max_length=64, description="Supervisors and admins: one station.")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[Meeting]:
        actor = actor_from(claims)
        scope = meeting_scope(actor)
        if scope is not None and station is not None and station != scope:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail="staff see only their station")
        return await meetings.list_meetings(
            station_id=scope or station, since=since, until=until, limit=limit
        )

    @router.get(
        "/{meeting_id}",
        response_model=Meeting,
        summary="One meeting.",
        responses={404: {"description": "No such meeting in the caller's scope."}},
    )
    async def get_meeting(meeting_id: str, claims: CurrentClaims) -> Meeting:
        meeting = await meetings.get(meeting_id)
        if meeting is None or not can_see_meeting(meeting, actor_from(claims)):
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such meeting")
        return meeting

    return router
