"""routing's public HTTP API: the directory, read only (accounts are not part of it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from services.routing.domain.directory import Department, Directory, Representative, Station
from services.routing.entrypoints.deps import Directories

router = APIRouter(prefix="/v1/directory", tags=["directory"])


async def _snapshot(directory: Directories) -> Directory:
    loaded = await directory.load()
    if loaded is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="the directory is not loaded")
    return loaded


Snapshot = Annotated[Directory, Depends(_snapshot)]


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
    "/representatives/{code}",
    response_model=Representative,
    responses={404: {"description": "Unknown code."}},
)
async def get_representative(code: str, snapshot: Snapshot) -> Representative:
    rep = snapshot.representative(code)
    if rep is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no representative {code}")
    return rep
