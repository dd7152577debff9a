"""Station figures as spreadsheet rows (CSV, XLSX) and the public transparency figures. Pure.

The rows carry exactly the numbers of `GET /v1/reports/stations` for the same period: counts
as integers, rates and Wilson bounds as the same floats (fractions, not percentages), an empty
cell where the JSON has `null`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import date

from openpyxl import Workbook
from pydantic import BaseModel

from services.reporting.domain.kpis import RateEstimate
from services.reporting.domain.summaries import CitySummary, StationSummary

Cell = str | int | float | None
Row = list[Cell]

# (zh, en, value) per column, in order.
_Column = tuple[str, str, Callable[[StationSummary], Cell]]
COLUMNS: tuple[_Column, ...] = (
    ("站点编号", "station id", lambda s: s.station_id),
    ("站点名称", "station name", lambda s: s.station_name),
    ("分派", "assigned", lambda s: s.assigned),
    ("分派给代表", "to representative", lambda s: s.to_representative),
    ("分派至站点队列", "to station queue", lambda s: s.to_station_queue),
    ("改派", "reassigned", lambda s: s.reassigned),
    ("受理", "accepted", lambda s: s.accepted),
    ("不予受理", "declined", lambda s: s.declined),
    ("退回", "rejected", lambda s: s.rejected),
    ("合并", "merged", lambda s: s.merged),
    ("答复", "responded", lambda s: s.responded),
    ("办结", "closed", lambda s: s.closed),
    ("重新办理", "reopened", lambda s: s.reopened),
    ("上报", "escalated", lambda s: s.escalated),
    ("评价", "rated", lambda s: s.rated),
    ("满意", "satisfied", lambda s: s.ratings.get("satisfied", 0)),
    ("基本满意", "basically satisfied", lambda s: s.ratings.get("basically_satisfied", 0)),
    ("不满意", "dissatisfied", lambda s: s.ratings.get("dissatisfied", 0)),
    ("办结率", "completion rate", lambda s: s.completion_rate.rate),
    ("办结率下限", "completion low (95% Wilson)", lambda s: s.completion_rate.low),
    ("办结率上限", "completion high (95% Wilson)", lambda s: s.completion_rate.high),
    ("办结率样本", "completion sample", lambda s: s.completion_rate.sample),
    ("满意度", "satisfaction rate", lambda s: s.satisfaction_rate.rate),
    ("满意度下限", "satisfaction low (95% Wilson)", lambda s: s.satisfaction_rate.low),
    ("满意度上限", "satisfaction high (95% Wilson)", lambda s: s.satisfaction_rate.high),
    ("满意度样本", "satisfaction sample", lambda s: s.satisfaction_rate.sample),
)
PERIOD_COLUMNS: tuple[tuple[str, str], ...] = (("起始日", "since"), ("截止日", "until"))


def header() -> list[str]:
    """One label per column: Chinese, then English in brackets."""
    return [f"{zh} ({en})" for zh, en in (*PERIOD_COLUMNS, *((c[0], c[1]) for c in COLUMNS))]


def station_rows(stations: Iterable[StationSummary], *, since: date, until: date) -> list[Row]:
    """The header, then one row per station: the period, then the figures."""
    rows: list[Row] = [list(header())]
    for station in stations:
        rows.append([since.isoformat(), until.isoformat(), *(c[2](station) for c in COLUMNS)])
    return rows


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(cell: Cell) -> Cell:
    """A text cell a spreadsheet would run as a formula is quoted (CSV/formula injection)."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float):
        return repr(cell)  # round-trips exactly
    return str(_safe(cell))


def to_csv(rows: Sequence[Row]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese labels correctly; CRLF rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_text(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


_SHEET_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


def sheet_title(title: str) -> str:
    """A valid worksheet name: no []:*?/\\, at most 31 characters, not empty."""
    cleaned = title.translate(_SHEET_FORBIDDEN).strip("'")[:31]
    return cleaned or "Sheet"


def to_xlsx(rows: Sequence[Row], title: str) -> bytes:
    """One worksheet, written in write-only (streaming) mode; numbers stay numbers."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(title))
    for row in rows:
        sheet.append([_safe(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_filename(since: date, until: date, extension: str) -> str:
    return f"minyi-stations-{since.isoformat()}-{until.isoformat()}.{extension}"


# The public transparency figures: counts and rates only — no case text, no people.


class PublicFigures(BaseModel):
    """received: cases submitted (city) or first assigned to the station (station)."""

    received: int
    accepted: int
    closed: int
    rated: int
    completion_rate: RateEstimate
    satisfaction_rate: RateEstimate


class PublicStation(PublicFigures):
    station_id: str
    station_name: str


class Transparency(BaseModel):
    since: date
    until: date
    city: PublicFigures
    stations: list[PublicStation]


def transparency(
    city: CitySummary, stations: Iterable[StationSummary], *, since: date, until: date
) -> Transparency:
    return Transparency(
        since=since,
        until=until,
        city=PublicFigures(
            received=city.received,
            accepted=city.accepted,
            closed=city.closed,
            rated=city.rated,
            completion_rate=city.completion_rate,
            satisfaction_rate=city.satisfaction_rate,
        ),
        stations=[
            PublicStation(
                station_id=s.station_id,
                station_name=s.station_name,
                received=s.assigned,
                accepted=s.accepted,
                closed=s.closed,
                rated=s.rated,
                completion_rate=s.completion_rate,
                satisfaction_rate=s.satisfaction_rate,
            )
            for s in stations
        ],
    )
