"""routing's HTTP API: the directory (read) and where each case is."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel

from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.domain.directory import Directory, Representative, Station


class RoutedCaseView(BaseModel):
    case_id: str
    category: str
    status: str
    station_id: str
    liaison_point_id: str | None
    representative_code: str | None
    reason: str
    assigned_at: datetime
    updated_at: datetime


def build_router(*, cases: RoutedCaseRepository, directory: DirectoryRepository) -> APIRouter:
    router = APIRouter(prefix="/v1")

    async def snapshot() -> Directory:
        loaded = await directory.load()
        if loaded is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="the directory is not loaded")
        return loaded

    @router.get(
        "/directory", response_model=Directory, tags=["directory"], summary="The whole directory."
    )
    async def get_directory() -> Directory:
        return await snapshot()

    @router.get("/directory/stations", response_model=list[Station], tags=["directory"])
    async def list_stations() -> list[Station]:
        return list((await snapshot()).stations)

    @router.get(
        "/directory/representatives/{code}",
        response_model=Representative,
        tags=["directory"],
        responses={404: {"description": "Unknown code."}},
    )
    async def get_representative(code: str) -> Representative:
        rep = (await snapshot()).representative(code)
        if rep is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no representative {code}")
        return rep

    @router.get(
        "/cases/{case_id}",
        response_model=RoutedCaseView,
        tags=["cases"],
        summary="Who holds a case and why.",
        responses={404: {"description": "routing has not seen this case."}},
    )
    async def get_case(case_id: str) -> RoutedCaseView:
        document = await cases.get(case_id)
        if document is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="routing has not seen this case")
        return RoutedCaseView(case_id=document["_id"], **document)

    return router
