"""Monthly roll-ups of the daily buckets, so that a report's cost does not grow with the days
of its period. Pure.

A report over a year read 365 buckets per key; it now reads the whole months of its period from
one roll-up per (dimension, station, key, month) and only the days at its two ends from the
daily buckets. A roll-up holds the sums of its month's buckets (counts added, durations joined,
labels merged), in the same shape, so the summaries read either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of a month named `YYYY-MM`."""
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return first, following - timedelta(days=1)


@dataclass(frozen=True)
class PeriodParts:
    """A period as the day ranges read from the daily buckets and the months read rolled up."""

    day_ranges: list[tuple[date, date]] = field(default_factory=list)
    months: list[str] = field(default_factory=list)


def split_period(since: date, until: date, *, today: date) -> PeriodParts:
    """Whole months inside the period that ended before today's month are read rolled up (their
    buckets rarely change again); the rest, day by day. Adjacent day stretches are joined."""
    parts = PeriodParts()
    current = month_of(today)
    cursor = since
    pending: date | None = None  # start of the day stretch being collected
    while cursor <= until:
        month = month_of(cursor)
        first, last = month_bounds(month)
        if cursor == first and last <= until and month < current:
            if pending is not None:
                parts.day_ranges.append((pending, cursor - timedelta(days=1)))
                pending = None
            parts.months.append(month)
        elif pending is None:
            pending = cursor
        cursor = last + timedelta(days=1)
    if pending is not None:
        parts.day_ranges.append((pending, until))
    return parts


def roll_up(buckets: Iterable[Mapping[str, Any]], *, month: str) -> list[dict[str, Any]]:
    """One roll-up per (dimension, station, key) of a month's daily buckets."""
    first, _ = month_bounds(month)
    rolled: dict[tuple[str, str, str], dict[str, Any]] = {}
    for bucket in buckets:
        ident = (str(bucket["dimension"]), str(bucket.get("station_id", "")), str(bucket["key"]))
        into = rolled.setdefault(
            ident,
            {
                "_id": "|".join((*ident, month)),
                "dimension": ident[0],
                "station_id": ident[1],
                "key": ident[2],
                "month": month,
                "day": first.isoformat(),
                "counts": {},
                "durations": {},
                "labels": {},
            },
        )
        add_bucket(into, bucket)
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
