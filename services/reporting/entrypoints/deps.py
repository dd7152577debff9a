"""What routes need, read from the container `app.py` puts on `app.state`: declare a parameter
of one of these types and FastAPI hands it over."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request

from services.reporting.adapters.read_models import ReadModels
from services.reporting.settings import ReportingSettings
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
