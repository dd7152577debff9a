"""The dashboard's filters (period and station) from a GET form's query. Pure.

A filter the page cannot honour is reported per field (the page shows it next to the input and
answers 422), never guessed at: a malformed date, an end before the start, a period longer
than the API allows, a station id that cannot exist. Whether a well-formed station id exists
is a question for the read models, so the page asks that after this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from services.reporting.entrypoints.http import MAX_PERIOD_DAYS

Preset = Literal["last_30_days", "this_year", "last_365_days"]
PRESETS: tuple[Preset, ...] = ("last_30_days", "this_year", "last_365_days")
DEFAULT_PRESET: Preset = "last_365_days"
STATION_ID = re.compile(r"^[a-z0-9_]{1,64}$")


def preset_period(preset: Preset, *, today: date) -> tuple[date, date]:
    if preset == "last_30_days":
        return today - timedelta(days=29), today
    if preset == "this_year":
        return date(today.year, 1, 1), today
    # The JSON API's default period, so a bare /dashboard shows the same numbers as /stations.
    return today - timedelta(days=365), today


@dataclass(frozen=True)
class Filters:
    since: date
    until: date
    station: str | None

    def preset(self, *, today: date) -> Preset | None:
        """The preset this period equals, if any (the page marks it as current)."""
        for preset in PRESETS:
            if preset_period(preset, today=today) == (self.since, self.until):
                return preset
        return None


@dataclass
class FilterForm:
    """What was typed, for re-showing the form, and a message key per field that is wrong."""

    since: str = ""
    until: str = ""
    station: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_filters(
    *,
    since: str | None,
    until: str | None,
    station: str | None,
    today: date,
    default_station: str | None = None,
) -> tuple[Filters | None, FilterForm]:
    """Filters, or None with the form's field errors. An absent `station` means the default
    (a signed-in staff member's own station); an empty one means city-wide."""
    form = FilterForm(
        since=(since or "").strip(),
        until=(until or "").strip(),
        station=(default_station or "") if station is None else station.strip(),
    )
    until_day = _day(form.until) if form.until else today
    if until_day is None:
        form.errors["until"] = "error_date"
    if form.since:
        since_day = _day(form.since)
        if since_day is None:
            form.errors["since"] = "error_date"
    else:
        since_day = until_day - timedelta(days=365) if until_day else None
    if since_day and until_day:
        if since_day > until_day:
            form.errors["until"] = "error_until_before_since"
        elif (until_day - since_day).days > MAX_PERIOD_DAYS:
            form.errors["since"] = "error_period_too_long"
    if form.station and not STATION_ID.match(form.station):
        form.errors["station"] = "error_unknown_station"
    if form.errors or since_day is None or until_day is None:
        return None, form
    return Filters(since=since_day, until=until_day, station=form.station or None), form
