"""Roll-ups of months and weeks: which parts of a period are read rolled up, what they sum."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from services.reporting.domain.durations import pack
from services.reporting.domain.figures import totals_by
from services.reporting.domain.rollups import (
    PeriodParts,
    combine,
    month_bounds,
    roll_up,
    span_bounds,
    spans_of,
    split_period,
    week_of,
)

TODAY = date(2026, 12, 2)


def test_month_bounds_cover_december_and_leap_february() -> None:
    assert month_bounds("2026-12") == (date(2026, 12, 1), date(2026, 12, 31))
    assert month_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))


def test_weeks_are_sevens_from_the_first_and_the_fifth_holds_the_months_end() -> None:
    assert week_of(date(2026, 3, 7)) == "2026-03.1"
    assert week_of(date(2026, 3, 8)) == "2026-03.2"
    assert week_of(date(2026, 3, 31)) == "2026-03.5"
    assert spans_of(date(2026, 3, 29)) == ("2026-03", "2026-03.5", "2026-03-29")
    assert span_bounds("2026-03.4") == (date(2026, 3, 22), date(2026, 3, 28))
    assert span_bounds("2024-02.5") == (date(2024, 2, 29), date(2024, 2, 29))
    assert span_bounds("2026-03") == month_bounds("2026-03")
    assert span_bounds("2026-03-09") == (date(2026, 3, 9), date(2026, 3, 9))


def test_a_year_to_today_is_whole_months_the_weeks_and_days_around_them_and_today() -> None:
    parts = split_period(date(2025, 12, 3), TODAY, today=TODAY)
    assert parts.spans == [
        *(f"2025-12-0{d}" for d in range(3, 8)),
        "2025-12.2",
        "2025-12.3",
        "2025-12.4",
        "2025-12.5",
        *(f"2026-{m:02d}" for m in range(1, 12)),
        "2026-12-01",
    ]
    assert parts.day_ranges == [(TODAY, TODAY)]


def test_the_current_months_ended_weeks_and_days_are_rolled_up_and_today_on_read_by_day() -> None:
    today = date(2026, 12, 17)
    parts = split_period(date(2026, 12, 1), date(2026, 12, 31), today=today)
    assert parts == PeriodParts(
        day_ranges=[(today, date(2026, 12, 31))],
        spans=["2026-12.1", "2026-12.2", "2026-12-15", "2026-12-16"],
    )


def test_a_period_inside_one_month_is_its_whole_weeks_and_the_days_around_them() -> None:
    parts = split_period(date(2026, 3, 5), date(2026, 3, 16), today=TODAY)
    assert parts == PeriodParts(
        spans=["2026-03-05", "2026-03-06", "2026-03-07", "2026-03.2", "2026-03-15", "2026-03-16"]
    )


def test_whole_past_months_then_whole_weeks_then_days() -> None:
    parts = split_period(date(2026, 2, 1), date(2026, 4, 29), today=TODAY)
    assert parts.spans == [
        "2026-02",
        "2026-03",
        "2026-04.1",
        "2026-04.2",
        "2026-04.3",
        "2026-04.4",
        "2026-04-29",
    ]
    assert parts.day_ranges == []


def test_every_day_of_any_period_is_read_once_and_only_today_and_later_by_day() -> None:
    today = date(2026, 12, 17)
    first = date(2025, 10, 25)
    for offset in range(0, 120, 7):
        for length in (0, 1, 6, 13, 40, 400):
            since = first + timedelta(days=offset)
            until = min(since + timedelta(days=length), today + timedelta(days=20))
            parts = split_period(since, until, today=today)
            covered: list[date] = []
            for span in parts.spans:
                start, end = span_bounds(span)
                assert end < today, span
                covered.extend(_days(start, end))
            day_spans = [span for span in parts.spans if len(span) == len("2026-12-17")]
            # At most six single days at each end of a stretch of weeks and months.
            assert len(day_spans) <= 12, (since, until)
            for start, end in parts.day_ranges:
                assert start >= today
                covered.extend(_days(start, end))
            assert sorted(covered) == _days(since, until), (since, until)


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


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
    rolled = {row["key"]: row for row in roll_up(buckets, span="2026-03")}
    assert rolled["xijie"]["counts"] == {
        "assigned": 3,
        "ratings": {"satisfied": 3, "dissatisfied": 1},
    }
    assert rolled["xijie"]["durations"] == {"accept": pack([5, 10, 20]), "respond": pack([7])}
    assert rolled["xijie"]["labels"] == {"name": "西街"}
    assert rolled["xijie"]["day"] == "2026-03-01"
    assert rolled["dongan"]["counts"] == {"assigned": 4}
    assert rolled["dongan"]["_id"] == "station|dongan|dongan|2026-03"


def _random_row(rng: random.Random, span: int) -> dict[str, Any]:
    station = rng.choice(("xijie", "dongan"))
    durations: dict[str, Any] = {}
    for kind in rng.sample(("accept", "respond"), rng.randint(0, 2)):
        values = [rng.randint(0, 3_000_000_000) for _ in range(rng.randint(0, 8))]
        # Roll-ups built before durations were packed hold lists.
        durations[kind] = pack(values) if rng.random() < 0.8 else values
    return {
        "dimension": "representative",
        "station_id": station,
        "key": rng.choice(("R1", "R2", "R3")),
        "month": f"2026-{span:02d}",
        "counts": {
            "received": rng.randint(0, 9),
            "closed": rng.randint(0, 9),
            "ratings": {rng.choice(("satisfied", "dissatisfied")): rng.randint(1, 3)},
        },
        "durations": durations,
        "labels": {"name": rng.choice(("", "王", "王芳"))},
    }


def test_a_periods_rows_combined_sum_to_the_figures_of_the_rows_themselves() -> None:
    rng = random.Random(11)
    for _ in range(30):
        rows = [_random_row(rng, span) for span in range(1, 12) for _ in range(rng.randint(0, 4))]
        combined = combine(rows)

        assert len(combined) == len({(r["station_id"], r["key"]) for r in rows})
        for by in ("key", "station_id"):
            expected = {k: t.figures() for k, t in totals_by(rows, field_name=by).items()}
            got = {k: t.figures() for k, t in totals_by(combined, field_name=by).items()}
            assert got == expected
        labels = {k: t.labels for k, t in totals_by(rows).items()}
        assert {k: t.labels for k, t in totals_by(combined).items()} == labels
