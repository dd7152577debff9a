"""Figures as spreadsheet rows: the header and one row per station, representative, category or
point. Pure; `web/exports.py` writes them as CSV or XLSX bytes.

The rows carry exactly the numbers of `GET /v1/reports/stations` (or `/representatives`,
`/categories`, `/points`) for the same period and filters: counts
as integers, rates and Wilson bounds as the same floats (fractions, not percentages), an empty
cell where the JSON has `null`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any, Literal

from services.reporting.domain.summaries import KeyedKind, StationSummary
from shared.exports import Cell

Row = list[Cell]
ExportKind = Literal["stations", KeyedKind]

# (zh, en, value) per column, in order.
_Column = tuple[str, str, Callable[[Any], Cell]]

FIGURE_COLUMNS: tuple[_Column, ...] = (
    ("收到", "received", lambda f: f.received),
    ("改派", "reassigned", lambda f: f.reassigned),
    ("受理", "accepted", lambda f: f.accepted),
    ("不予受理", "declined", lambda f: f.declined),
    ("退回", "rejected", lambda f: f.rejected),
    ("合并", "merged", lambda f: f.merged),
    # Out of completion's accepted (the survivor completes the matter once): the rate's
    # sample is read with it.
    ("受理后合并", "merged after accepted", lambda f: f.merged_accepted),
    ("附议", "supporters", lambda f: f.supporters),
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
    ("回访", "follow-up calls", lambda f: f.followed_up),
    ("回访满意", "follow-up satisfied", lambda f: f.follow_up_ratings.get("satisfied", 0)),
    (
        "回访基本满意",
        "follow-up basically satisfied",
        lambda f: f.follow_up_ratings.get("basically_satisfied", 0),
    ),
    ("回访不满意", "follow-up dissatisfied", lambda f: f.follow_up_ratings.get("dissatisfied", 0)),
    ("回访满意度", "follow-up satisfaction rate", lambda f: f.follow_up_satisfaction_rate.rate),
    ("督办", "supervisions", lambda f: f.supervised),
    ("督办件数", "supervised cases", lambda f: f.supervised_cases),
    ("督办按期答复", "supervision met", lambda f: f.supervision_met),
    ("督办逾期", "supervision missed", lambda f: f.supervision_missed),
    ("退回重办", "returned for redo", lambda f: f.returned),
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
KEY_LABELS: dict[KeyedKind, tuple[str, str]] = {
    "representatives": ("代表编号", "representative code"),
    "categories": ("类别", "category"),
    "points": ("联络点", "liaison point"),
}
PERIOD_COLUMNS: tuple[tuple[str, str], ...] = (("起始日", "since"), ("截止日", "until"))


def keyed_columns(kind: KeyedKind) -> tuple[_Column, ...]:
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


def columns_of(kind: ExportKind) -> tuple[_Column, ...]:
    return STATION_COLUMNS if kind == "stations" else keyed_columns(kind)
