"""routing's public HTTP API: the directory, read only (accounts are not part of it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter

from services.routing.domain.directory import (
    Department,
    Directory,
    Level,
    PointKind,
    Representative,
    Station,
    find_points,
    find_representatives,
    representative_order,
)
from services.routing.entrypoints.deps import Directories
from services.routing.entrypoints.schemas import LiaisonPointPage, RepresentativePage
from shared.openapi import answers
from shared.pagination import (
    PAGED_RESPONSE,
    CursorParam,
    Page,
    after_key_ascending,
    cursor_key,
    page_of,
)

T = TypeVar("T")

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
Offset = Annotated[
    int,
    Query(
        ge=0,
        description="Skip this many matches first (deprecated: use `cursor`, which an addition "
        "to the directory does not shift; not with `cursor`).",
    ),
]
# The cursors: a representative's (0 for the code equal to the search text, else 1; code), a
# point's (id,): the keys the lists are sorted by.
_REPRESENTATIVE_KEY: TypeAdapter[tuple[int, str]] = TypeAdapter(tuple[int, str])
_POINT_KEY: TypeAdapter[tuple[str]] = TypeAdapter(tuple[str])


def _paged(
    found: Sequence[T],
    *,
    key: Callable[[T], tuple[Any, ...]],
    shape: TypeAdapter[Any],
    cursor: str | None,
    limit: int,
    offset: int,
    response: Response,
) -> Page[T]:
    start = cursor_key(cursor, shape)
    if start is not None and offset:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "offset"),
                    "msg": "give either offset or cursor, not both",
                    "type": "value_error",
                    "input": offset,
                }
            ]
        )
    rest = after_key_ascending(found, key=key, start=start)[offset:]
    page = page_of(rest, limit=limit, key=key)
    page.announce(response)
    return page


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
    responses=PAGED_RESPONSE,
)
async def list_representatives(
    snapshot: Snapshot,
    response: Response,
    text: SearchText = None,
    station: StationFilter = None,
    point: Annotated[str | None, Query(max_length=64, description="One point's id.")] = None,
    level: Level | None = None,
    active: bool | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
    cursor: CursorParam = None,
) -> RepresentativePage:
    found = find_representatives(
        snapshot, text=text, station=station, point=point, level=level, active=active
    )
    page = _paged(
        found,
        key=representative_order(text),
        shape=_REPRESENTATIVE_KEY,
        cursor=cursor,
        limit=limit,
        offset=offset,
        response=response,
    )
    return RepresentativePage(
        total=len(found),
        limit=limit,
        offset=offset,
        items=page.items,
        next_cursor=page.next_cursor,
    )


@router.get(
    "/liaison_points",
    response_model=LiaisonPointPage,
    summary="Liaison points a page at a time, found by id, name or leader, by id.",
    responses=PAGED_RESPONSE,
)
async def list_points(
    snapshot: Snapshot,
    response: Response,
    text: SearchText = None,
    station: StationFilter = None,
    kind: PointKind | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
    cursor: CursorParam = None,
) -> LiaisonPointPage:
    found = find_points(snapshot, text=text, station=station, kind=kind)
    page = _paged(
        found,
        key=lambda p: (p.id,),
        shape=_POINT_KEY,
        cursor=cursor,
        limit=limit,
        offset=offset,
        response=response,
    )
    return LiaisonPointPage(
        total=len(found),
        limit=limit,
        offset=offset,
        items=page.items,
        next_cursor=page.next_cursor,
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
