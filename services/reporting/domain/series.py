"""Figures over time: a period's buckets summed per slice (day, week or month). Pure.

One key's series (`GET /v1/reports/series`) and the dashboard's cases per category and slice
are the same sums, so they come from the same function.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.reporting.domain.figures import Figures, Now, Totals, totals_by
from services.reporting.domain.periods import GroupBy, slice_of, slices

MAX_SERIES_SLICES = 1000


class SeriesPoint(Figures):
    """One slice; `open_now` and `overdue_now` are left at 0 (they have no history)."""

    since: date
    until: date


def slice_totals(buckets: Iterable[Mapping[str, Any]], group_by: GroupBy) -> dict[str, Totals]:
    """Buckets summed per slice, keyed by the slice's (unclipped) first day."""
    return totals_by(
        (
            {
                **bucket,
                "slice": slice_of(date.fromisoformat(str(bucket["day"])), group_by).isoformat(),
            }
            for bucket in buckets
        ),
        field_name="slice",
    )


def series_points(
    buckets: Iterable[Mapping[str, Any]], *, cut: Sequence[tuple[date, date]], group_by: GroupBy
) -> list[SeriesPoint]:
    """The figures of each slice of `cut` (from `slices`), in order."""
    totals = slice_totals(buckets, group_by)
    return [
        # An empty slice has the same shape as any other: every rating, zero.
        SeriesPoint(
            since=start,
            until=end,
            **(totals.get(slice_of(start, group_by).isoformat()) or Totals()).figures(Now()),
        )
        for start, end in cut
    ]


@dataclass(frozen=True)
class CategorySeries:
    """Cases first assigned per category and slice (day, week or month)."""

    group_by: GroupBy
    slices: list[tuple[date, date]]
    counts: dict[str, list[int]]


def category_series(
    buckets: Iterable[Mapping[str, Any]], *, since: date, until: date, group_by: GroupBy
) -> CategorySeries:
    """Category buckets summed per category and slice, as `/series` sums one key's."""
    cut = slices(since, until, group_by)
    starts = [slice_of(start, group_by).isoformat() for start, _ in cut]
    per_category: dict[str, list[Mapping[str, Any]]] = {}
    for bucket in buckets:
        per_category.setdefault(str(bucket["key"]), []).append(bucket)
    counts: dict[str, list[int]] = {}
    for category, found in sorted(per_category.items()):
        totals = slice_totals(found, group_by)
        counts[category] = [
            totals[start].counts["received"] if start in totals else 0 for start in starts
        ]
    return CategorySeries(group_by=group_by, slices=cut, counts=counts)
