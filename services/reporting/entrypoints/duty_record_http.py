"""A representative's duty record (履职档案): the record as JSON and as files for the annual
report (述职) for those who may read it, and its public part for anyone.

Who may read the whole record: the representative themself, their station's staff and head,
supervisors and admins (`shared.access`); anyone else asking for one gets 404, as if the
representative did not exist. The public part carries only what `domain/duty_record.py`'s
`public_record` lets through."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Response, status

from services.reporting.domain.duty_record import (
    DutyRecord,
    PublicDutyRecord,
    public_record,
    record_rows,
)
from services.reporting.entrypoints.deps import ReadModelsDep
from services.reporting.entrypoints.exports_http import CSV_RESPONSES, XLSX_RESPONSES
from services.reporting.entrypoints.filters import SinceQuery, UntilQuery, parse_period
from services.reporting.entrypoints.public_http import PUBLIC_CACHE
from services.reporting.handlers.reports.duty_record import (
    read_duty_record,
    representative_station,
)
from services.reporting.web.exports import export_filename, period_title
from shared.access import DutyRecordReader, duty_record_in_scope, duty_record_reader
from shared.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, to_csv, to_xlsx
from shared.openapi import answers

CodePath = Annotated[
    str, Path(pattern=r"^[0-9A-Za-z]{2,16}$", description="The representative's code.")
]
NOT_FOUND = "No such representative, or one whose record the caller may not read."

router = APIRouter(
    prefix="/v1/reports/representatives",
    tags=["reports"],
    dependencies=[Depends(duty_record_reader)],
    responses={
        401: {"description": "Not signed in."},
        403: {"description": "Not a representative, station staff, a supervisor or an admin."},
        404: {"description": NOT_FOUND},
    },
)
public_router = APIRouter(prefix="/v1/public/representatives", tags=["public"])


def unknown() -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail="no such representative")


@answers(404, NOT_FOUND)
async def readable_representative(
    claims: DutyRecordReader, read_models: ReadModelsDep, code: CodePath
) -> str:
    """The code asked for, if the directory knows it and the caller may read its record."""
    known, station = await representative_station(read_models, code)
    if not known:
        raise unknown()
    duty_record_in_scope(claims, code=code, station=station)
    return code


ReadableRepresentative = Annotated[str, Depends(readable_representative)]


async def _record(
    read_models: ReadModelsDep, code: str, since: SinceQuery, until: UntilQuery
) -> DutyRecord:
    period = parse_period(since, until, today=read_models.today())
    found = await read_duty_record(read_models, code=code, since=period.since, until=period.until)
    if found is None:
        raise unknown()
    return found


@router.get(
    "/{code}/record",
    response_model=DutyRecord,
    summary="A representative's duty record for a period: cases received, accepted, declined, "
    "answered, time to respond, satisfaction with its interval, attendance, suggestions.",
)
async def duty_record(
    read_models: ReadModelsDep,
    code: ReadableRepresentative,
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> DutyRecord:
    return await _record(read_models, code, since, until)


async def _file(record: DutyRecord, extension: str) -> Response:
    rows = record_rows(record)
    if extension == "csv":
        content, media_type = await asyncio.to_thread(to_csv, rows), CSV_MEDIA_TYPE
    else:
        title = period_title(record.since, record.until)
        content, media_type = await asyncio.to_thread(to_xlsx, rows, title), XLSX_MEDIA_TYPE
    kind = f"record-{record.representative_code}"
    filename = export_filename(record.since, record.until, extension, kind)
    return Response(
        content=content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/{code}/record.csv",
    response_class=Response,
    responses=CSV_RESPONSES,
    summary="A representative's duty record as CSV (UTF-8 with BOM), for the annual report.",
)
async def duty_record_csv(
    read_models: ReadModelsDep,
    code: ReadableRepresentative,
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> Response:
    return await _file(await _record(read_models, code, since, until), "csv")


@router.get(
    "/{code}/record.xlsx",
    response_class=Response,
    responses=XLSX_RESPONSES,
    summary="A representative's duty record as an Excel workbook, for the annual report.",
)
async def duty_record_xlsx(
    read_models: ReadModelsDep,
    code: ReadableRepresentative,
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> Response:
    return await _file(await _record(read_models, code, since, until), "xlsx")


@public_router.get(
    "/{code}/record",
    response_model=PublicDutyRecord,
    responses={404: {"description": "No such representative."}},
    summary="A representative's public duty record: counts and the satisfaction rate (withheld "
    "on few ratings); no times, no case text, no residents.",
)
async def public_duty_record(
    read_models: ReadModelsDep,
    response: Response,
    code: CodePath,
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> PublicDutyRecord:
    record = await _record(read_models, code, since, until)
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return public_record(record)
