"""Station figures as spreadsheet rows (CSV, XLSX) and the public transparency figures. Pure.

The rows carry exactly the numbers of `GET /v1/reports/stations` (or `/representatives`,
`/categories`, `/points`) for the same period and filters: counts
as integers, rates and Wilson bounds as the same floats (fractions, not percentages), an empty
cell where the JSON has `null`.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from openpyxl import Workbook
from pydantic import BaseModel

from services.reporting.domain.activities import ActivityFigures, sum_activities
from services.reporting.domain.house_repair import every_stage
from services.reporting.domain.kpis import RateEstimate
from services.reporting.domain.summaries import CitySummary, StationSummary

Cell = str | int | float | None
Row = list[Cell]

# (zh, en, value) per column, in order.
_Column = tuple[str, str, Callable[[Any], Cell]]

FIGURE_COLUMNS: tuple[_Column, ...] = (
    ("收到", "received", lambda f: f.received),
    ("改派", "reassigned", lambda f: f.reassigned),
    ("受理", "accepted", lambda f: f.accepted),
    ("不予受理", "declined", lambda f: f.declined),
    ("退回", "rejected", lambda f: f.rejected),
    ("合并", "merged", lambda f: f.merged),
    ("答复", "responded", lambda f: f.responded),
    ("办结", "closed", lambda f: f.closed),
    ("重新办理", "reopened", lambda f: f.reopened),
    ("上报", "escalated", lambda f: f.escalated),
    ("评价", "rated", lambda f: f.rated),
    ("满意", "satisfied", lambda f: f.ratings.get("satisfied", 0)),
    ("基本满意", "basically satisfied", lambda f: f.ratings.get("basically_satisfied", 0)),
    ("不满意", "dissatisfied", lambda f: f.ratings.get("dissatisfied", 0)),
    ("办结率", "completion rate", lambda f: f.completion_rate.rate),
    ("办结率下限", "completion low (95% Wilson)", lambda f: f.completion_rate.low),
    ("办结率上限", "completion high (95% Wilson)", lambda f: f.completion_rate.high),
    ("办结率样本", "completion sample", lambda f: f.completion_rate.sample),
    ("满意度", "satisfaction rate", lambda f: f.satisfaction_rate.rate),
    ("满意度下限", "satisfaction low (95% Wilson)", lambda f: f.satisfaction_rate.low),
    ("满意度上限", "satisfaction high (95% Wilson)", lambda f: f.satisfaction_rate.high),
    ("满意度样本", "satisfaction sample", lambda f: f.satisfaction_rate.sample),
    ("受理用时样本", "time to accept count", lambda f: f.time_to_accept.count),
    ("平均受理用时(秒)", "time to accept mean (s)", lambda f: f.time_to_accept.mean_seconds),
    ("受理用时P90(秒)", "time to accept p90 (s)", lambda f: f.time_to_accept.p90_seconds),
    ("答复用时样本", "time to respond count", lambda f: f.time_to_respond.count),
    ("平均答复用时(秒)", "time to respond mean (s)", lambda f: f.time_to_respond.mean_seconds),
    ("答复用时P90(秒)", "time to respond p90 (s)", lambda f: f.time_to_respond.p90_seconds),
    ("当前在办", "open now", lambda f: f.open_now),
    ("当前超期", "overdue now", lambda f: f.overdue_now),
)
STATION_COLUMNS: tuple[_Column, ...] = (
    ("站点编号", "station id", lambda s: s.station_id),
    ("站点名称", "station name", lambda s: s.station_name),
    ("分派", "assigned", lambda s: s.assigned),
    ("分派给代表", "to representative", lambda s: s.to_representative),
    ("分派至站点队列", "to station queue", lambda s: s.to_station_queue),
    *FIGURE_COLUMNS,
)
COLUMNS = STATION_COLUMNS
KEY_LABELS: dict[str, tuple[str, str]] = {
    "representatives": ("代表编号", "representative code"),
    "categories": ("类别", "category"),
    "points": ("联络点", "liaison point"),
}
PERIOD_COLUMNS: tuple[tuple[str, str], ...] = (("起始日", "since"), ("截止日", "until"))


def keyed_columns(kind: str) -> tuple[_Column, ...]:
    """The columns of a representative, category or point export."""
    zh, en = KEY_LABELS[kind]
    return (
        (zh, en, lambda k: k.key),
        ("名称", "name", lambda k: k.name),
        ("所属站点", "station id", lambda k: k.station_id),
        *FIGURE_COLUMNS,
    )


def header(columns: Sequence[_Column] = STATION_COLUMNS) -> list[str]:
    """One label per column: Chinese, then English in brackets."""
    return [f"{zh} ({en})" for zh, en in (*PERIOD_COLUMNS, *((c[0], c[1]) for c in columns))]


def figure_rows(
    items: Iterable[Any], *, columns: Sequence[_Column], since: date, until: date
) -> list[Row]:
    """The header, then one row per item: the period, then the figures."""
    rows: list[Row] = [list(header(columns))]
    for item in items:
        rows.append([since.isoformat(), until.isoformat(), *(c[2](item) for c in columns)])
    return rows


def station_rows(stations: Iterable[StationSummary], *, since: date, until: date) -> list[Row]:
    return figure_rows(stations, columns=STATION_COLUMNS, since=since, until=until)


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


def export_filename(since: date, until: date, extension: str, kind: str = "stations") -> str:
    return f"minyi-{kind}-{since.isoformat()}-{until.isoformat()}.{extension}"


# The public transparency figures: counts and rates only — no case text, no people.


class PublicFigures(BaseModel):
    """received: cases submitted (city) or first assigned to the station (station)."""

    received: int
    accepted: int
    closed: int
    rated: int
    completion_rate: RateEstimate
    satisfaction_rate: RateEstimate
    activities: ActivityFigures
    house_repair_stages: dict[str, int]


class PublicStation(PublicFigures):
    station_id: str
    station_name: str


class Transparency(BaseModel):
    since: date
    until: date
    city: PublicFigures
    stations: list[PublicStation]


def transparency(
    city: CitySummary,
    stations: Iterable[StationSummary],
    *,
    since: date,
    until: date,
    activities: Mapping[str, ActivityFigures] | None = None,
    stages: Mapping[str, Mapping[str, int]] | None = None,
) -> Transparency:
    """`activities` and `stages` are keyed by station id; the city's are their sums."""
    activities, stages = activities or {}, stages or {}
    city_stages: Counter[str] = Counter()
    for counts in stages.values():
        city_stages.update(counts)
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
            activities=sum_activities(activities.values()),
            house_repair_stages=every_stage(city_stages),
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
                activities=activities.get(s.station_id, ActivityFigures()),
                house_repair_stages=every_stage(stages.get(s.station_id, {})),
            )
            for s in stations
        ],
    )
