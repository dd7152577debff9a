"""Cutting a period into days, ISO weeks or calendar months for a time series. Pure.

The first and last slices are clipped to the period, so the slices add up to exactly the
period's figures.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

GroupBy = Literal["day", "week", "month"]


def _next_start(day: date, group_by: GroupBy) -> date:
    if group_by == "day":
        return day + timedelta(days=1)
    if group_by == "week":
        return day + timedelta(days=7 - day.weekday())  # the next Monday
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def slices(since: date, until: date, group_by: GroupBy) -> list[tuple[date, date]]:
    """(first day, last day) of each slice, in order, covering since..until exactly."""
    found: list[tuple[date, date]] = []
    start = since
    while start <= until:
        end = min(_next_start(start, group_by) - timedelta(days=1), until)
        found.append((start, end))
        start = end + timedelta(days=1)
    return found


def slice_of(day: date, group_by: GroupBy) -> date:
    """The unclipped start of the slice a day falls in (the day, its Monday, its 1st)."""
    if group_by == "day":
        return day
    if group_by == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)
