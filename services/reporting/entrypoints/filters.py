"""The period and station filters of a request, shared by the JSON API and the pages.

The API takes typed query parameters and answers 422 naming the parameter it cannot honour.
The pages take a GET form as typed and report each field it cannot honour (the page shows it
next to the input and answers 422), never guessing: a malformed date, an end before the start,
a period longer than the API allows, a station id that cannot exist. Whether a well-formed
station id exists is a question for the read models, so the page asks that after this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated

from fastapi import Query

from services.reporting.domain.errors import InvalidQuery
from services.reporting.domain.kpis import Metric
from services.reporting.domain.periods import (
    MAX_PERIOD_DAYS,
    Preset,
    default_since,
    period_problem,
    preset_of,
)
from services.reporting.entrypoints.schemas import Period

STATION_ID = re.compile(r"^[a-z0-9_]{1,64}$")

SinceQuery = Annotated[
    date | None, Query(description="First day (the city's calendar), default until − 365 days.")
]
UntilQuery = Annotated[
    date | None, Query(description="Last day (the city's calendar), default today in the city.")
]
StationQuery = Annotated[
    str | None, Query(max_length=64, description="Only figures of events at this station.")
]
LimitQuery = Annotated[int, Query(ge=1, le=1000, description="Page size.")]
OffsetQuery = Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip.")]
MetricQuery = Annotated[Metric, Query(description="completion (办结率) or satisfaction (满意度).")]
MinSampleQuery = Annotated[
    int, Query(ge=1, le=1_000_000, description="Fewer accepted (or rated) cases: not ranked.")
]


def parse_period(since: date | None, until: date | None, *, today: date) -> Period:
    """The API's period: until defaults to today (the city's), since to a year before until."""
    until = until or today
    since = since or default_since(until)
    problem = period_problem(since, until)
    if problem == "until_before_since":
        raise InvalidQuery("since", "since must not be after until")
    if problem == "too_long":
        raise InvalidQuery("since", f"period longer than {MAX_PERIOD_DAYS} days")
    return Period(since=since, until=until)


@dataclass(frozen=True)
class Filters:
    since: date
    until: date
    station: str | None

    def preset(self, *, today: date) -> Preset | None:
        """The preset this period equals, if any (the page marks it as current)."""
        return preset_of(self.since, self.until, today=today)


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
        since_day = default_since(until_day) if until_day else None
    if since_day and until_day:
        problem = period_problem(since_day, until_day)
        if problem == "until_before_since":
            form.errors["until"] = "error_until_before_since"
        elif problem == "too_long":
            form.errors["since"] = "error_period_too_long"
    if form.station and not STATION_ID.match(form.station):
        form.errors["station"] = "error_unknown_station"
    if form.errors or since_day is None or until_day is None:
        return None, form
    return Filters(since=since_day, until=until_day, station=form.station or None), form
