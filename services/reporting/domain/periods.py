"""Periods: the default and the longest period a report covers, the dashboard's presets, and
cutting a period into days, ISO weeks or calendar months for a time series. Pure.

The first and last slices are clipped to the period, so the slices add up to exactly the
period's figures.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

GroupBy = Literal["day", "week", "month"]
Preset = Literal["last_30_days", "this_year", "last_365_days"]
PeriodProblem = Literal["until_before_since", "too_long"]

MAX_PERIOD_DAYS = 3660
DEFAULT_PERIOD_DAYS = 365
PRESETS: tuple[Preset, ...] = ("last_30_days", "this_year", "last_365_days")


def default_since(until: date) -> date:
    """The first day of a period given only its last: a year before it."""
    return until - timedelta(days=DEFAULT_PERIOD_DAYS)


def period_problem(since: date, until: date) -> PeriodProblem | None:
    """Why a report cannot cover since..until, if it cannot."""
    if since > until:
        return "until_before_since"
    if (until - since).days > MAX_PERIOD_DAYS:
        return "too_long"
    return None


def preset_period(preset: Preset, *, today: date) -> tuple[date, date]:
    if preset == "last_30_days":
        return today - timedelta(days=29), today
    if preset == "this_year":
        return date(today.year, 1, 1), today
    # The JSON API's default period, so a bare /dashboard shows the same numbers as /stations.
    return default_since(today), today


def preset_of(since: date, until: date, *, today: date) -> Preset | None:
    """The preset this period equals, if any (the page marks it as current)."""
    for preset in PRESETS:
        if preset_period(preset, today=today) == (since, until):
            return preset
    return None


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


def group_by_for(since: date, until: date) -> GroupBy:
    """Slices a chart can show: days for a month, weeks for half a year, months beyond."""
    days = (until - since).days + 1
    return "day" if days <= 31 else "week" if days <= 190 else "month"
