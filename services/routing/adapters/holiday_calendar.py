"""China's official working-day calendar, read from the `chinesecalendar` package: the public
holidays and the weekend days worked in their place (调休) the State Council publishes each
year, for every year the installed version knows (domain/sla.py counts with them).

A version knows the years up to the last notice before its release (1.11.0: 2004–2026); later
years are answered by weekends and the operator's `MINYI_HOLIDAYS` /
`MINYI_EXTRA_WORKING_DAYS` until a newer version is installed (see `unknown_years`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from zoneinfo import ZoneInfo

# No type information ships with the package; what is read from it is typed here.
import chinese_calendar  # type: ignore[import-untyped]

from services.routing.domain.sla import WorkingCalendar, with_overrides

DISTRIBUTION = "chinesecalendar"


@dataclass(frozen=True)
class OfficialCalendar:
    holidays: frozenset[date]
    working_days: frozenset[date]
    known_years: frozenset[int]
    version: str


def official_calendar() -> OfficialCalendar:
    """What the installed `chinesecalendar` knows."""
    holidays = frozenset(_dates(chinese_calendar.holidays))
    working_days = frozenset(_dates(chinese_calendar.workdays))
    try:
        installed = version(DISTRIBUTION)
    except PackageNotFoundError:  # run from a source tree without its metadata
        installed = "unknown"
    return OfficialCalendar(
        holidays=holidays,
        working_days=working_days,
        known_years=frozenset(_known_years(holidays | working_days)),
        version=installed,
    )


def _dates(table: object) -> list[date]:
    if not isinstance(table, dict):
        raise TypeError(f"{DISTRIBUTION}: expected a table of dates, got {type(table).__name__}")
    return [d for d in table if isinstance(d, date)]


def _known_years(dates: frozenset[date]) -> range:
    # The package's own rule (`_validate_date`): every year from its first listed date's to its
    # last listed date's has data; any other year raises NotImplementedError.
    if not dates:
        return range(0)
    return range(min(dates).year, max(dates).year + 1)


def working_calendar(
    official: OfficialCalendar,
    *,
    timezone: ZoneInfo,
    holidays: frozenset[date],
    extra_working_days: frozenset[date],
) -> WorkingCalendar:
    """The official calendar with the operator's overrides on top (they win)."""
    return with_overrides(
        timezone=timezone,
        official_holidays=official.holidays,
        official_working_days=official.working_days,
        holidays=holidays,
        extra_working_days=extra_working_days,
    )
