"""Dilapidated-house repair for staff: houses (register, households' consent, stage, linked
cases), the stage of a case not linked to a house, and the houses per stage."""

from __future__ import annotations

from collections.abc import Awaitable
from functools import partial
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from pydantic import BaseModel, Field, TypeAdapter

from services.routing.adapters.house_repository import HouseRepository, house_key
from services.routing.domain.house_repair import STAGES, stage_of
from services.routing.domain.houses import (
    House,
    LinkCase,
    RecordConsent,
    RegisterHouse,
    house_scope,
)
from services.routing.domain.workflow import STATION_ROLES, Actor, NotPermitted
from services.routing.entrypoints.deps import (
    Cases,
    CorrelationId,
    CurrentActor,
    Directories,
    Houses,
    Relay,
)
from services.routing.entrypoints.schemas import (
    ChangeStage,
    HouseRepairCase,
    StageConflict,
    StageCounts,
)
from services.routing.entrypoints.views import house_repair_case
from services.routing.handlers.house_repair import (
    change_house_stage,
    house_stage_counts,
    link_house_case,
    move_house_stage,
    record_household_consent,
    register_station_house,
    visible_house,
)
from shared.openapi import answers
from shared.pagination import PAGED_RESPONSE, CursorParam, cursor_key, page_of
from shared.preconditions import IfMatch

router = APIRouter(prefix="/v1/staff", tags=["house repair"])

# A list's cursor: the last house's (station, address key, house id).
_HOUSE_KEY: TypeAdapter[tuple[str, str, str]] = TypeAdapter(tuple[str, str, str])


async def listed_stations(station: str | None, directory: Directories) -> list[str]:
    """The stations a list passes through: the one named, or every station of the directory
    (inactive ones too: their houses stay)."""
    if station is not None:
        return [station]
    snapshot = await directory.load()
    return [s.id for s in snapshot.stations] if snapshot else []


@answers(403, "Representatives and departments have no houses to read.")
async def _house_reader(actor: CurrentActor) -> Actor:
    """Station staff and heads read their station's houses; supervisors and admins all."""
    house_scope(actor)
    return actor


@answers(403, "Only a station's staff and head change its houses.")
async def _house_writer(actor: CurrentActor) -> Actor:
    if actor.role not in STATION_ROLES or actor.station_id is None:
        raise NotPermitted(f"a {actor.role} may not change a station's houses")
    return actor


HouseReader = Annotated[Actor, Depends(_house_reader)]
HouseWriter = Annotated[Actor, Depends(_house_writer)]


class HouseStep(Protocol):
    """A change to one house (`record_household_consent`, `move_house_stage`, `link_house_case`)
    with the house and the command bound: loading it in scope, the version check and the
    refusals are the handler's (answered by routing's error handlers)."""

    def __call__(
        self, *, actor: Actor, houses: HouseRepository, correlation_id: str
    ) -> Awaitable[House]: ...


class StepTaker(Protocol):
    """A house step taken by a station's staff: the outbox woken, the house as it is now."""

    def __call__(self, step: HouseStep) -> Awaitable[House]: ...


async def _step_taker(
    actor: HouseWriter, houses: Houses, relay: Relay, correlation_id: CorrelationId
) -> StepTaker:
    async def take(step: HouseStep) -> House:
        house = await step(actor=actor, houses=houses, correlation_id=correlation_id)
        relay.wake()
        return house

    return take


TakeStep = Annotated[StepTaker, Depends(_step_taker)]


class HouseCase(BaseModel):
    """A case linked to a house, as the house lists it: no text, no resident."""

    case_id: str
    status: str
    stage: str | None = Field(description="The case's own stage: the house's once it follows.")


class HouseDetail(House):
    cases: list[HouseCase] = Field(description="The linked cases, in the order linked.")


_CONFLICTS: dict[int | str, dict[str, Any]] = {
    409: {
        "model": StageConflict,
        "description": "Not one step of the table, or the house kept changing under a change "
        "without If-Match.",
    },
    412: {"description": "The house changed since the version given in If-Match."},
}


@router.post(
    "/houses",
    response_model=House,
    status_code=status.HTTP_201_CREATED,
    summary="Register a dilapidated house of the caller's station (at under_governance).",
    responses={
        409: {"description": "No directory has been imported yet."},
        422: {"description": "A point not of the station, a household listed twice, …"},
    },
)
async def register(
    body: RegisterHouse,
    actor: HouseWriter,
    houses: Houses,
    directory: Directories,
    relay: Relay,
    correlation_id: CorrelationId,
) -> House:
    house = await register_station_house(
        command=body,
        actor=actor,
        houses=houses,
        directory=directory,
        correlation_id=correlation_id,
    )
    relay.wake()
    return house


@router.get(
    "/houses",
    response_model=list[House],
    summary="Houses in the caller's scope by address; `address` keeps those whose address "
    "starts with it; the next page's cursor is in the `Next-Cursor` header.",
    responses={**PAGED_RESPONSE},
)
async def list_houses(
    actor: HouseReader,
    houses: Houses,
    directory: Directories,
    response: Response,
    cursor: CursorParam = None,
    address: Annotated[str | None, Query(max_length=200)] = None,
    station: Annotated[
        str | None, Query(max_length=64, description="Supervisors and admins: one station.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[House]:
    scope = house_scope(actor)
    if scope is not None and station is not None and station != scope:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="staff see only their station")
    found = await houses.list_houses(
        station_ids=await listed_stations(scope or station, directory),
        address=address,
        limit=limit,
        after=cursor_key(cursor, _HOUSE_KEY),
    )
    page = page_of(found, limit=limit, key=house_key)
    page.announce(response)
    return page.items


@router.get(
    "/houses/{house_id}",
    response_model=HouseDetail,
    summary="One house: its households' consent, its stage and history, its cases.",
    responses={404: {"description": "No such house in the caller's scope."}},
)
async def get_house(house_id: str, actor: HouseReader, houses: Houses) -> HouseDetail:
    return await house_detail(house_id=house_id, actor=actor, houses=houses)


async def house_detail(*, house_id: str, actor: Actor, houses: Houses) -> HouseDetail:
    house = await visible_house(house_id=house_id, actor=actor, houses=houses)
    cases = [
        HouseCase(
            case_id=row["_id"],
            status=row["status"],
            # An approved case with no stage stored yet is at the first one (domain rule).
            stage=stage_of(
                category=row["category"],
                status=row["status"],
                stored=(row.get("house_repair") or {}).get("stage"),
            ),
        )
        for row in await houses.cases_of(house)
    ]
    return HouseDetail(
        **house.model_dump(exclude={"consenting", "objecting", "allowed_stages"}), cases=cases
    )


@router.post(
    "/houses/{house_id}/consents",
    response_model=House,
    summary="Record one household's consent or objection (or take it back: not_asked).",
    responses={
        404: {"description": "No such house in the caller's scope."},
        409: {
            "model": StageConflict,
            "description": "The house kept changing under a change without If-Match.",
        },
        412: _CONFLICTS[412],
        422: {"description": "No such household in the house."},
    },
)
async def record_consent(
    house_id: str, body: RecordConsent, take: TakeStep, if_match: IfMatch
) -> House:
    return await take(
        partial(
            record_household_consent,
            house_id=house_id,
            label=body.household,
            consent=body.consent,
            expected_version=if_match,
        )
    )


@router.post(
    "/houses/{house_id}/stage",
    response_model=House,
    summary="Move a house to its next stage; each linked case being handled follows.",
    responses={404: {"description": "No such house in the caller's scope."}, **_CONFLICTS},
)
async def change_house(
    house_id: str, body: ChangeStage, take: TakeStep, cases: Cases, if_match: IfMatch
) -> House:
    return await take(
        partial(
            move_house_stage,
            house_id=house_id,
            stage=body.stage,
            note=body.note,
            cases=cases,
            expected_version=if_match,
        )
    )


@router.post(
    "/houses/{house_id}/cases",
    response_model=House,
    summary="Link a house_repair case of the station to the house; it takes the house's stage.",
    responses={
        404: {"description": "No such house or case in the caller's scope."},
        409: {"description": "The case is linked to another house."},
        422: {"description": "Not a house_repair case of the station, or withdrawn."},
    },
)
async def link_case(house_id: str, body: LinkCase, take: TakeStep, cases: Cases) -> House:
    return await take(
        partial(link_house_case, house_id=house_id, case_id=body.case_id, cases=cases)
    )


@router.post(
    "/cases/{case_id}/stage",
    response_model=HouseRepairCase,
    summary="Move a dilapidated-house repair case not linked to a house to its next stage.",
    responses={
        403: {"description": "Only the station's staff and head change stages."},
        404: {"description": "No such case in the caller's scope."},
        409: {
            "model": StageConflict,
            "description": "Not allowed from the current stage or status, linked to a house "
            "(move the house), or the case kept changing under a change without If-Match.",
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
    summary="Houses per stage: a station's or the city's figures (a house counts once, "
    "however many cases it has).",
    responses={403: {"description": "Not station staff, a supervisor or an admin."}},
)
async def stage_counts(
    actor: CurrentActor,
    houses: Houses,
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
    counts = await house_stage_counts(houses=houses, station_id=station)
    return StageCounts(
        station_id=station,
        counts={s: counts[s] for s in STAGES},
        total=sum(counts.values()),
    )
