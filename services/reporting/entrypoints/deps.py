"""What routes need, read from the container `app.py` puts on `app.state`: declare a parameter
of one of these types and FastAPI hands it over."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import APIRouter, Depends, Request

from services.reporting.adapters.read_models import ReadModels
from services.reporting.entrypoints.filters import StationQuery
from services.reporting.settings import ReportingSettings
from shared.access import FiguresReader, figures_reader, station_in_scope
from shared.openapi import answers
from shared.web.pages import Pages


@dataclass(frozen=True)
class Container:
    settings: ReportingSettings
    read_models: ReadModels
    pages: Pages


def container(request: Request) -> Container:
    return cast(Container, request.app.state.container)


def read_models(request: Request) -> ReadModels:
    return container(request).read_models


def settings(request: Request) -> ReportingSettings:
    return container(request).settings


def pages(request: Request) -> Pages:
    return container(request).pages


ReadModelsDep = Annotated[ReadModels, Depends(read_models)]
SettingsDep = Annotated[ReportingSettings, Depends(settings)]
PagesDep = Annotated[Pages, Depends(pages)]


@answers(404, "Another station's figures, asked for by station staff.")
async def scoped_station(claims: FiguresReader, station_id: StationQuery = None) -> str | None:
    """The `station_id` filter as the caller may have it (shared.access.station_in_scope)."""
    return station_in_scope(claims, station_id)


# Only the station's own figures for station staff (404 for another's), any for city-wide.
ScopedStation = Annotated[str | None, Depends(scoped_station)]


def figures_router() -> APIRouter:
    """A router of `/v1/reports` routes: signed-in station staff (their station's figures),
    supervisors and admins (city-wide)."""
    return APIRouter(
        prefix="/v1/reports",
        tags=["reports"],
        dependencies=[Depends(figures_reader)],
        responses={
            401: {"description": "Not signed in."},
            403: {"description": "Not station staff, a supervisor or an admin."},
            404: {"description": "Another station's figures, asked for by station staff."},
        },
    )
