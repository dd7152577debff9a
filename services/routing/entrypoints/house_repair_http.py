"""Dilapidated-house repair for staff: move a case through its stages, count cases per stage."""

# No `from __future__ import annotations`: FastAPI must see the local dependency alias.

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.routing.adapters.case_repository import RoutedCaseRepository, VersionConflict
from services.routing.domain.house_repair import (
    STAGES,
    NotHouseRepair,
    Stage,
    StageChangeNotAllowed,
    next_stages,
    stage_of,
)
from services.routing.entrypoints.staff_http import actor_from
from services.routing.house_repair_handlers import change_house_stage, house_stage_counts
from shared.auth import Claims, claims_dependency
from shared.logging import current_correlation_id, new_correlation_id
from shared.mongo import Document
from shared.outbox import OutboxRelay
from shared.settings import ServiceSettings


class ChangeStage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: Stage
    note: str | None = Field(default=None, max_length=2000)


class StageHistoryEntry(BaseModel):
    at: datetime
    actor_id: str | None
    from_stage: str | None = Field(alias="from")
    to_stage: str = Field(alias="to")
    note: str | None


class HouseRepairCase(BaseModel):
    case_id: str
    status: str
    station_id: str
    stage: Stage | None
    allowed_stages: list[Stage] = Field(description="Where the stage may move next.")
    history: list[StageHistoryEntry]
    version: int


class StageConflict(BaseModel):
    detail: str
    stage: str | None
    allowed_stages: list[str]


class StageCounts(BaseModel):
    station_id: str | None = Field(description="None: every station.")
    counts: dict[Stage, int] = Field(description="Every stage, zero included.")
    total: int


def _view(document: Document) -> dict[str, Any]:
    repair = document.get("house_repair") or {}
    stage = stage_of(
        category=document["category"], status=document["status"], stored=repair.get("stage")
    )
    return {
        "case_id": document["_id"],
        "status": document["status"],
        "station_id": document["station_id"],
        "stage": stage,
        "allowed_stages": next_stages(stage) if stage else [],
        "history": repair.get("history", []),
        "version": document["version"],
    }


def _unprocessable(message: str) -> HTTPException:
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        detail=[{"loc": ["body"], "field": "", "msg": message, "type": "value_error"}],
    )


def build_router(
    *, settings: ServiceSettings, cases: RoutedCaseRepository, relay: OutboxRelay
) -> APIRouter:
    router = APIRouter(prefix="/v1/staff", tags=["house repair"])
    current: Any = claims_dependency(settings.jwt_secret.get_secret_value())
    CurrentClaims = Annotated[Claims, Depends(current)]

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
                "or the case changed since the version given in If-Match.",
            },
            422: {"description": "Not a house_repair case."},
        },
    )
    async def change_stage(
        case_id: str,
        body: ChangeStage,
        claims: CurrentClaims,
        if_match: Annotated[int | None, Header(alias="If-Match", ge=1)] = None,
    ) -> Any:
        actor = actor_from(claims)
        try:
            document = await change_house_stage(
                case_id=case_id,
                stage=body.stage,
                note=body.note,
                actor=actor,
                cases=cases,
                expected_version=if_match,
                correlation_id=current_correlation_id() or new_correlation_id(),
            )
        except NotHouseRepair as exc:
            raise _unprocessable(str(exc)) from None
        except StageChangeNotAllowed as exc:
            return JSONResponse(
                StageConflict(
                    detail=str(exc), stage=exc.current, allowed_stages=list(exc.allowed)
                ).model_dump(),
                status_code=status.HTTP_409_CONFLICT,
            )
        except VersionConflict:
            latest = await cases.get(case_id)
            view = _view(latest) if latest else None
            return JSONResponse(
                StageConflict(
                    detail="the case changed meanwhile; reload and try again",
                    stage=view["stage"] if view else None,
                    allowed_stages=view["allowed_stages"] if view else [],
                ).model_dump(),
                status_code=status.HTTP_409_CONFLICT,
            )
        relay.wake()
        return _view(document)

    @router.get(
        "/house-repair/stages",
        response_model=StageCounts,
        summary="Dilapidated-house repair cases per stage: a station's or the city's figures.",
        responses={403: {"description": "Not station staff, a supervisor or an admin."}},
    )
    async def stage_counts(
        claims: CurrentClaims,
        station: Annotated[str | None, Query(max_length=64)] = None,
    ) -> StageCounts:
        actor = actor_from(claims)
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

    return router
