"""Dilapidated-house repair for staff: move a case through its stages, count cases per stage."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status

from services.routing.domain.house_repair import STAGES
from services.routing.entrypoints.deps import Cases, CorrelationId, CurrentActor, Relay
from services.routing.entrypoints.schemas import (
    ChangeStage,
    HouseRepairCase,
    StageConflict,
    StageCounts,
)
from services.routing.entrypoints.views import house_repair_case
from services.routing.handlers.house_repair import change_house_stage, house_stage_counts
from shared.preconditions import IfMatch

router = APIRouter(prefix="/v1/staff", tags=["house repair"])


@router.post(
    "/cases/{case_id}/stage",
    response_model=HouseRepairCase,
    summary="Move a dilapidated-house repair case to its next stage.",
    responses={
        403: {"description": "Only the station's staff and head change stages."},
        404: {"description": "No such case in the caller's scope."},
        409: {
            "model": StageConflict,
            "description": "Not allowed from the current stage or status, "
            "or the case kept changing under a change without If-Match.",
        },
        412: {
            "model": StageConflict,
            "description": "The case changed since the version given in If-Match.",
        },
        422: {"description": "Not a house_repair case."},
    },
)
async def change_stage(
    case_id: str,
    body: ChangeStage,
    actor: CurrentActor,
    cases: Cases,
    relay: Relay,
    correlation_id: CorrelationId,
    if_match: IfMatch,
) -> Any:
    document = await change_house_stage(
        case_id=case_id,
        stage=body.stage,
        note=body.note,
        actor=actor,
        cases=cases,
        expected_version=if_match,
        correlation_id=correlation_id,
    )
    relay.wake()
    return house_repair_case(document)


@router.get(
    "/house-repair/stages",
    response_model=StageCounts,
    summary="Dilapidated-house repair cases per stage: a station's or the city's figures.",
    responses={403: {"description": "Not station staff, a supervisor or an admin."}},
)
async def stage_counts(
    actor: CurrentActor,
    cases: Cases,
    station: Annotated[str | None, Query(max_length=64)] = None,
) -> StageCounts:
    if actor.role in ("staff", "station_head"):
        if station is not None and station != actor.station_id:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, detail="staff see only their own station"
            )
        station = actor.station_id or "-"
    elif actor.role not in ("admin", "supervisor"):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail=f"a {actor.role} may not read station figures"
        )
    counts = await house_stage_counts(cases=cases, station_id=station)
    return StageCounts(
        station_id=station,
        counts={s: counts[s] for s in STAGES},
        total=sum(counts.values()),
    )
