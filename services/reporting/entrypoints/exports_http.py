"""The figures as CSV (UTF-8 with BOM) or Excel files: the numbers of `/stations`,
`/representatives`, `/categories` and `/points` for the same period and filters, every item."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date

from fastapi import Response

from services.reporting.adapters.read_models import ReadModels
from services.reporting.domain.exports import ExportKind
from services.reporting.entrypoints.deps import ReadModelsDep, ScopedStation, figures_router
from services.reporting.entrypoints.filters import (
    SinceQuery,
    UntilQuery,
    parse_period,
)
from services.reporting.entrypoints.reports_http import KEYED
from services.reporting.handlers.reports.exports import export_rows
from services.reporting.web.exports import export_filename, period_title
from shared.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, to_csv, to_xlsx

router = figures_router()

CSV_RESPONSES: dict[int | str, dict[str, object]] = {200: {"content": {"text/csv": {}}}}
XLSX_RESPONSES: dict[int | str, dict[str, object]] = {200: {"content": {XLSX_MEDIA_TYPE: {}}}}


async def _export(
    read_models: ReadModels,
    *,
    kind: ExportKind,
    extension: str,
    since: date | None,
    until: date | None,
    station_id: str | None = None,
) -> Response:
    """The rows written off the event loop, as an attachment named after kind and period."""
    period = parse_period(since, until, today=read_models.today())
    rows = await export_rows(
        read_models, kind=kind, since=period.since, until=period.until, station_id=station_id
    )
    if extension == "csv":
        content, media_type = await asyncio.to_thread(to_csv, rows), CSV_MEDIA_TYPE
    else:
        title = period_title(period.since, period.until)
        content, media_type = await asyncio.to_thread(to_xlsx, rows, title), XLSX_MEDIA_TYPE
    filename = export_filename(period.since, period.until, extension, kind)
    return Response(
        content=content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _keyed_export(kind: ExportKind, extension: str) -> Callable[..., Awaitable[Response]]:
    async def export(
        read_models: ReadModelsDep,
        station_id: ScopedStation,
        since: SinceQuery = None,
        until: UntilQuery = None,
    ) -> Response:
        return await _export(
            read_models,
            kind=kind,
            extension=extension,
            since=since,
            until=until,
            station_id=station_id,
        )

    return export


for _kind, _what in KEYED:
    router.add_api_route(
        f"/{_kind}.csv",
        _keyed_export(_kind, "csv"),
        name="export_csv",
        methods=["GET"],
        response_class=Response,
        responses=CSV_RESPONSES,
        summary=f"Figures per {_what} as CSV (UTF-8 with BOM), every item, no paging.",
    )
    router.add_api_route(
        f"/{_kind}.xlsx",
        _keyed_export(_kind, "xlsx"),
        name="export_xlsx",
        methods=["GET"],
        response_class=Response,
        responses=XLSX_RESPONSES,
        summary=f"Figures per {_what} as an Excel workbook, every item, no paging.",
    )


@router.get(
    "/stations.csv",
    response_class=Response,
    responses=CSV_RESPONSES,
    summary="Figures per station as CSV (UTF-8 with BOM), the numbers of /stations.",
)
async def stations_csv(
    read_models: ReadModelsDep, since: SinceQuery = None, until: UntilQuery = None
) -> Response:
    return await _export(read_models, kind="stations", extension="csv", since=since, until=until)


@router.get(
    "/stations.xlsx",
    response_class=Response,
    responses=XLSX_RESPONSES,
    summary="Figures per station as an Excel workbook, the numbers of /stations.",
)
async def stations_xlsx(
    read_models: ReadModelsDep, since: SinceQuery = None, until: UntilQuery = None
) -> Response:
    return await _export(read_models, kind="stations", extension="xlsx", since=since, until=until)
