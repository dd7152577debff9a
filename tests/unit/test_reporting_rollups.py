"""Monthly roll-ups: which parts of a period are read rolled up, and what a roll-up sums."""

from __future__ import annotations

from datetime import date

from services.reporting.domain.rollups import PeriodParts, month_bounds, roll_up, split_period

TODAY = date(2026, 12, 2)


def test_month_bounds_cover_december_and_leap_february() -> None:
    assert month_bounds("2026-12") == (date(2026, 12, 1), date(2026, 12, 31))
    assert month_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))


def test_a_year_to_today_is_two_day_stretches_around_eleven_whole_months() -> None:
    parts = split_period(date(2025, 12, 3), TODAY, today=TODAY)
    assert parts.months == [f"2026-{m:02d}" for m in range(1, 12)]
    assert parts.day_ranges == [
        (date(2025, 12, 3), date(2025, 12, 31)),
        (date(2026, 12, 1), TODAY),
    ]


def test_the_current_month_is_read_by_day_even_when_the_period_covers_it_whole() -> None:
    parts = split_period(date(2026, 12, 1), date(2026, 12, 31), today=TODAY)
    assert parts == PeriodParts(day_ranges=[(date(2026, 12, 1), date(2026, 12, 31))])


def test_a_period_inside_one_month_is_read_by_day() -> None:
    parts = split_period(date(2026, 3, 5), date(2026, 3, 20), today=TODAY)
    assert parts == PeriodParts(day_ranges=[(date(2026, 3, 5), date(2026, 3, 20))])


def test_whole_past_months_only() -> None:
    parts = split_period(date(2026, 2, 1), date(2026, 4, 29), today=TODAY)
    assert parts.months == ["2026-02", "2026-03"]
    assert parts.day_ranges == [(date(2026, 4, 1), date(2026, 4, 29))]


def test_roll_up_adds_nested_counts_joins_durations_and_keeps_keys_apart() -> None:
    buckets = [
        {
            "dimension": "station",
            "station_id": "xijie",
            "key": "xijie",
            "day": "2026-03-01",
            "counts": {"assigned": 2, "ratings": {"satisfied": 1}},
            "durations": {"accept": [10, 20]},
            "labels": {"name": "西街"},
        },
        {
            "dimension": "station",
            "station_id": "xijie",
            "key": "xijie",
            "day": "2026-03-09",
            "counts": {"assigned": 1, "ratings": {"satisfied": 2, "dissatisfied": 1}},
            "durations": {"accept": [5], "respond": [7]},
        },
        {
            "dimension": "station",
            "station_id": "dongan",
            "key": "dongan",
            "day": "2026-03-02",
            "counts": {"assigned": 4},
        },
    ]
    rolled = {row["key"]: row for row in roll_up(buckets, month="2026-03")}
    assert rolled["xijie"]["counts"] == {
        "assigned": 3,
        "ratings": {"satisfied": 3, "dissatisfied": 1},
    }
    assert rolled["xijie"]["durations"] == {"accept": [10, 20, 5], "respond": [7]}
    assert rolled["xijie"]["labels"] == {"name": "西街"}
    assert rolled["xijie"]["day"] == "2026-03-01"
    assert rolled["dongan"]["counts"] == {"assigned": 4}
    assert rolled["dongan"]["_id"] == "station|dongan|dongan|2026-03"
