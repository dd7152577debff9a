"""Roll-ups of the daily buckets, so that a report's cost does not grow with the days of its
period nor with the cases of each day. Pure.

A report over a year read 365 buckets per key, each day's from documents holding every
dimension's buckets of the day. It now reads the whole months of its period from one roll-up per
(dimension, station, key, month), the whole weeks of a month at its two ends from one roll-up
per week, the other days that have ended from one roll-up per day, all in one query; and only
today (and any later day of the period) from the daily buckets. A roll-up holds the sums of its
span's buckets (counts added, durations joined, labels merged), in the same shape (but for the
durations, packed: durations.py), so the summaries read either.

The spans are fixed, so that every period shares them: a month (`2026-03`), its five weeks
(`2026-03.1` .. `2026-03.5`: days 1–7, 8–14, 15–21, 22–28 and 29 to the month's end) and its
days (`2026-03-09`). A period's ends are thus at most six day roll-ups from a week's, wherever
they fall (the default year starts on today's date a year ago, mid-month).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from services.reporting.domain.durations import Durations, pack

WEEK_DAYS = 7


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def week_of(day: date) -> str:
    """The month's week holding the day; the fifth holds the days after the 28th."""
    return f"{month_of(day)}.{(day.day - 1) // WEEK_DAYS + 1}"


def spans_of(day: date) -> tuple[str, str, str]:
    """The roll-ups a day's buckets are summed into: its month, its week and itself."""
    return month_of(day), week_of(day), day.isoformat()


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of a month named `YYYY-MM`."""
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return first, following - timedelta(days=1)


def span_bounds(span: str) -> tuple[date, date]:
    """First and last day of a month (`YYYY-MM`), one of its weeks (`YYYY-MM.W`) or a day."""
    if len(span) == len("YYYY-MM-DD"):
        day = date.fromisoformat(span)
        return day, day
    month, _, week = span.partition(".")
    first, last = month_bounds(month)
    if not week:
        return first, last
    start = first + timedelta(days=WEEK_DAYS * (int(week) - 1))
    return start, min(start + timedelta(days=WEEK_DAYS - 1), last)


@dataclass(frozen=True)
class PeriodParts:
    """A period as the day ranges read from the daily buckets and the spans read rolled up."""

    day_ranges: list[tuple[date, date]] = field(default_factory=list)
    spans: list[str] = field(default_factory=list)


def split_period(since: date, until: date, *, today: date) -> PeriodParts:
    """The months, else the weeks, else the days inside the period that ended before today are
    read rolled up (their buckets rarely change again); today and later, day by day."""
    parts = PeriodParts()
    cursor = since
    while cursor <= until and cursor < today:
        span = _widest_span(cursor, until=until, today=today)
        parts.spans.append(span)
        cursor = span_bounds(span)[1] + timedelta(days=1)
    if cursor <= until:
        parts.day_ranges.append((cursor, until))
    return parts


def _widest_span(day: date, *, until: date, today: date) -> str:
    """The month, else the week, else the day itself starting on `day` and ending by `until`
    and before today."""
    for span in (month_of(day), week_of(day)):
        start, end = span_bounds(span)
        if start == day and end <= until and end < today:
            return span
    return day.isoformat()


def roll_up(buckets: Iterable[Mapping[str, Any]], *, span: str) -> list[dict[str, Any]]:
    """One roll-up per (dimension, station, key) of a span's daily buckets, its durations
    packed (durations.py)."""
    first, _ = span_bounds(span)
    rolled: dict[tuple[str, str, str], dict[str, Any]] = {}
    for bucket in buckets:
        ident = (str(bucket["dimension"]), str(bucket.get("station_id", "")), str(bucket["key"]))
        into = rolled.setdefault(
            ident,
            {
                "_id": "|".join((*ident, span)),
                "dimension": ident[0],
                "station_id": ident[1],
                "key": ident[2],
                # Named `month` since roll-ups were monthly only; a week's holds its span.
                "month": span,
                "day": first.isoformat(),
                "counts": {},
                "durations": {},
                "labels": {},
            },
        )
        add_bucket(into, bucket)
    for row in rolled.values():
        row["durations"] = {kind: pack(values) for kind, values in row["durations"].items()}
    return list(rolled.values())


def add_bucket(into: dict[str, Any], bucket: Mapping[str, Any]) -> None:
    """Add a bucket's counts, durations and labels into another's (which must hold all three)."""
    _add_counts(into["counts"], bucket.get("counts") or {})
    for kind, values in (bucket.get("durations") or {}).items():
        into["durations"].setdefault(kind, []).extend(values)
    into["labels"].update(bucket.get("labels") or {})


def _add_counts(into: dict[str, Any], counts: Mapping[str, Any]) -> None:
    """Counts nest (`ratings.satisfied`): add leaf by leaf."""
    for name, value in counts.items():
        if isinstance(value, Mapping):
            _add_counts(into.setdefault(name, {}), value)
        else:
            into[name] = into.get(name, 0) + value


def combine(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Roll-ups of several spans as one row per (dimension, station, key), which a report sums
    to the same figures as the rows themselves: counts added, durations merged (packed), labels
    as adding the rows in order leaves them (an empty label never replaces one). The rows come
    ordered by their last labelled row, so that a report summing them across stations (a key's
    name) still ends on the name it would have ended on."""
    combined: dict[tuple[str, str, str], dict[str, Any]] = {}
    durations: dict[tuple[str, str, str], dict[str, Durations]] = {}
    labelled: dict[tuple[str, str, str], int] = {}
    for position, row in enumerate(rows):
        ident = (str(row["dimension"]), str(row.get("station_id", "")), str(row["key"]))
        into = combined.setdefault(
            ident,
            {
                "_id": "|".join(ident),
                "dimension": ident[0],
                "station_id": ident[1],
                "key": ident[2],
                "counts": {},
                "labels": {},
            },
        )
        _add_counts(into["counts"], row.get("counts") or {})
        for kind, values in (row.get("durations") or {}).items():
            durations.setdefault(ident, {}).setdefault(str(kind), Durations()).add(values)
        labels = {k: v for k, v in (row.get("labels") or {}).items() if v}
        if labels:
            into["labels"].update(labels)
            labelled[ident] = position
    for ident, into in combined.items():
        into["durations"] = {
            kind: joined.packed() for kind, joined in durations.get(ident, {}).items()
        }
    return [combined[i] for i in sorted(combined, key=lambda i: labelled.get(i, -1))]
