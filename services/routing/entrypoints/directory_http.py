"""routing's public HTTP API: the directory, read only (accounts are not part of it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from services.routing.domain.directory import (
    Department,
    Directory,
    Level,
    PointKind,
    Representative,
    Station,
    find_points,
    find_representatives,
)
from services.routing.entrypoints.deps import Directories
from services.routing.entrypoints.schemas import LiaisonPointPage, RepresentativePage
from shared.openapi import answers

router = APIRouter(prefix="/v1/directory", tags=["directory"])


@answers(404, "No directory has been imported yet.")
async def _snapshot(directory: Directories) -> Directory:
    loaded = await directory.load()
    if loaded is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="the directory is not loaded")
    return loaded


Snapshot = Annotated[Directory, Depends(_snapshot)]
# A city has a thousand representatives: lists come a page at a time, found by name or code.
SearchText = Annotated[
    str | None,
    Query(
        alias="q",
        max_length=64,
        description="The start of a code, or any part of a name (a point's: of its id, name "
        "or leader); case and surrounding blanks ignored.",
    ),
]
StationFilter = Annotated[str | None, Query(max_length=64, description="One station's id.")]
Limit = Annotated[int, Query(ge=1, le=200, description="At most this many items.")]
Offset = Annotated[int, Query(ge=0, description="Skip this many matches first.")]


@router.get("", response_model=Directory, summary="The whole directory.")
async def get_directory(snapshot: Snapshot) -> Directory:
    return snapshot


@router.get("/stations", response_model=list[Station])
async def list_stations(snapshot: Snapshot) -> list[Station]:
    return list(snapshot.stations)


@router.get("/departments", response_model=list[Department])
async def list_departments(snapshot: Snapshot) -> list[Department]:
    return list(snapshot.departments)


@router.get(
    "/representatives",
    response_model=RepresentativePage,
    summary="Representatives a page at a time, found by name or code, by code.",
)
async def list_representatives(
    snapshot: Snapshot,
    text: SearchText = None,
    station: StationFilter = None,
    point: Annotated[str | None, Query(max_length=64, description="One point's id.")] = None,
    level: Level | None = None,
    active: bool | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> RepresentativePage:
    found = find_representatives(
        snapshot, text=text, station=station, point=point, level=level, active=active
    )
    return RepresentativePage(
        total=len(found), limit=limit, offset=offset, items=found[offset : offset + limit]
    )


@router.get(
    "/liaison_points",
    response_model=LiaisonPointPage,
    summary="Liaison points a page at a time, found by id, name or leader.",
)
async def list_points(
    snapshot: Snapshot,
    text: SearchText = None,
    station: StationFilter = None,
    kind: PointKind | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> LiaisonPointPage:
    found = find_points(snapshot, text=text, station=station, kind=kind)
    return LiaisonPointPage(
        total=len(found), limit=limit, offset=offset, items=found[offset : offset + limit]
    )


@router.get(
    "/representatives/{code}",
    response_model=Representative,
    responses={404: {"description": "Unknown code."}},
)
async def get_representative(code: str, snapshot: Snapshot) -> Representative:
    rep = snapshot.representative(code)
    if rep is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no representative {code}")
    return rep
