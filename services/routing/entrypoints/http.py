"""routing's public HTTP API: the directory, read only (accounts are not part of it)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.domain.directory import Department, Directory, Representative, Station


def build_router(*, directory: DirectoryRepository) -> APIRouter:
    router = APIRouter(prefix="/v1/directory", tags=["directory"])

    async def snapshot() -> Directory:
        loaded = await directory.load()
        if loaded is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="the directory is not loaded")
        return loaded

    @router.get("", response_model=Directory, summary="The whole directory.")
    async def get_directory() -> Directory:
        return await snapshot()

    @router.get("/stations", response_model=list[Station])
    async def list_stations() -> list[Station]:
        return list((await snapshot()).stations)

    @router.get("/departments", response_model=list[Department])
    async def list_departments() -> list[Department]:
        return list((await snapshot()).departments)

    @router.get(
        "/representatives/{code}",
        response_model=Representative,
        responses={404: {"description": "Unknown code."}},
    )
    async def get_representative(code: str) -> Representative:
        rep = (await snapshot()).representative(code)
        if rep is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no representative {code}")
        return rep

    return router
