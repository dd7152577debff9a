"""The dashboard's period and station filters, parsed from a GET form."""

from __future__ import annotations

from datetime import date

import pytest

from services.reporting.domain.periods import preset_period
from services.reporting.entrypoints.filters import Filters, parse_filters

TODAY = date(2026, 5, 20)


def parse(**query: str | None) -> tuple[Filters | None, dict[str, str]]:
    params: dict[str, str | None] = {"since": None, "until": None, "station": None, **query}
    filters, form = parse_filters(
        since=params["since"],
        until=params["until"],
        station=params["station"],
        today=TODAY,
        default_station=query.get("default"),
    )
    return filters, form.errors


def test_no_filters_mean_the_last_365_days_city_wide() -> None:
    assert parse() == (Filters(since=date(2025, 5, 20), until=TODAY, station=None), {})


def test_a_given_period_and_station_are_kept() -> None:
    filters, errors = parse(since="2026-04-01", until="2026-04-30", station="xijie")
    assert errors == {}
    assert filters == Filters(since=date(2026, 4, 1), until=date(2026, 4, 30), station="xijie")


def test_a_signed_in_station_is_the_default_but_an_empty_choice_means_city_wide() -> None:
    assert parse(default="jianchi")[0] == Filters(
        since=date(2025, 5, 20), until=TODAY, station="jianchi"
    )
    assert parse(default="jianchi", station="")[0] == Filters(
        since=date(2025, 5, 20), until=TODAY, station=None
    )


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"since": "2026-02-30"}, {"since": "error_date"}),
        ({"until": "tomorrow"}, {"until": "error_date"}),
        ({"since": "2026-05-01", "until": "2026-04-01"}, {"until": "error_until_before_since"}),
        ({"since": "2000-01-01", "until": "2026-01-01"}, {"since": "error_period_too_long"}),
        ({"station": "Xi Jie!"}, {"station": "error_unknown_station"}),
        (
            {"since": "x", "station": "<b>"},
            {"since": "error_date", "station": "error_unknown_station"},
        ),
    ],
)
def test_a_bad_filter_is_reported_on_its_field(
    query: dict[str, str], errors: dict[str, str]
) -> None:
    assert parse(**query) == (None, errors)


def test_presets_and_which_one_a_period_is() -> None:
    assert preset_period("last_30_days", today=TODAY) == (date(2026, 4, 21), TODAY)
    assert preset_period("this_year", today=TODAY) == (date(2026, 1, 1), TODAY)
    this_year = Filters(since=date(2026, 1, 1), until=TODAY, station=None)
    assert this_year.preset(today=TODAY) == "this_year"
    custom = Filters(since=date(2026, 1, 2), until=TODAY, station=None)
    assert custom.preset(today=TODAY) is None
