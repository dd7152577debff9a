"""Reporting: daily buckets summed into figures — exact mean and p90, slices for a series, the
summaries per station, key and city, meetings."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.reporting.domain.activities import meeting_contributions
from services.reporting.domain.figures import Now, duration_stats, p90_rank
from services.reporting.domain.periods import slice_of, slices
from services.reporting.domain.summaries import (
    KeyedSummary,
    find_keyed,
    summarize_city,
    summarize_keys,
    summarize_stations,
)
from shared.events.activity_events import MeetingRecorded


def bucket(key: str, day: str, station: str = "xijie", **counts: Any) -> dict[str, Any]:
    durations = counts.pop("durations", {})
    return {"key": key, "station_id": station, "day": day, "counts": counts, "durations": durations}


@pytest.mark.parametrize(("n", "rank"), [(1, 1), (9, 9), (10, 9), (11, 10), (20, 18), (21, 19)])
def test_the_p90_is_the_nearest_rank(n: int, rank: int) -> None:
    assert p90_rank(n) == rank


def test_duration_stats_are_exact_seconds() -> None:
    stats = duration_stats([5000, 1000, 3000, 2000, 4000, 6000, 7000, 8000, 9000, 100000])

    assert stats.count == 10
    assert stats.mean_seconds == 145000 / 10 / 1000
    assert stats.p90_seconds == 9.0
    assert duration_stats([]).model_dump() == {
        "count": 0,
        "mean_seconds": None,
        "p90_seconds": None,
    }


def test_slices_cover_the_period_exactly_clipped_at_both_ends() -> None:
    assert slices(date(2025, 3, 5), date(2025, 3, 18), "week") == [
        (date(2025, 3, 5), date(2025, 3, 9)),
        (date(2025, 3, 10), date(2025, 3, 16)),
        (date(2025, 3, 17), date(2025, 3, 18)),
    ]
    assert slices(date(2025, 11, 20), date(2026, 1, 3), "month") == [
        (date(2025, 11, 20), date(2025, 11, 30)),
        (date(2025, 12, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 1, 3)),
    ]
    assert len(slices(date(2024, 2, 1), date(2024, 2, 29), "day")) == 29
    assert slice_of(date(2025, 3, 5), "week") == date(2025, 3, 3)
    assert slice_of(date(2025, 3, 5), "month") == date(2025, 3, 1)


def test_keys_sum_their_buckets_across_stations_and_days_with_the_state_now() -> None:
    buckets = [
        bucket("0412", "2025-03-13", accepted=2, durations={"accept": [1000, 3000]}),
        bucket("0412", "2025-03-14", "jianchi", accepted=1, durations={"accept": [2000]}),
        bucket("0413", "2025-03-14", closed=1, ratings={"satisfied": 1}, rated=1),
    ]

    first, second, third = summarize_keys(
        buckets,
        now={"0412": Now(open_now=3, overdue_now=1), "0999": Now(open_now=1)},
        names={"0412": "张献平"},
        stations={"0412": "xijie"},
    )

    assert (first.key, first.name, first.station_id, first.accepted) == (
        "0412",
        "张献平",
        "xijie",
        3,
    )
    assert first.time_to_accept.count == 3
    assert first.time_to_accept.mean_seconds == 2.0
    assert (first.open_now, first.overdue_now) == (3, 1)
    assert (second.key, second.name, second.satisfaction_rate.rate) == ("0413", "0413", 1.0)
    assert (third.key, third.open_now, third.received) == ("0999", 1, 0)


def test_station_and_city_summaries_keep_their_first_fields() -> None:
    stations = summarize_stations(
        [
            {
                "station_id": "xijie",
                "labels": {"station_name": "西街"},
                "counts": {"received": 3, "to_representative": 2, "to_station_queue": 1},
            },
            {"station_id": "xijie", "counts": {"reassigned": 1, "by_category": {"parking": 3}}},
        ],
        names={},
    )
    city = summarize_city(
        [{"counts": {"received": 4, "assigned": 3, "by_channel": {"qr": 4}}}],
        now=Now(open_now=2, overdue_now=1),
    )

    (xijie,) = stations
    assert (xijie.station_name, xijie.assigned, xijie.received, xijie.reassigned) == (
        "西街",
        3,
        3,
        1,
    )
    assert xijie.by_category == {"parking": 3}
    assert (city.received, city.assigned, city.by_channel) == (4, 3, {"qr": 4})
    assert (city.open_now, city.overdue_now) == (2, 1)


def test_a_meeting_counts_for_its_station_point_and_the_city_on_the_day_held() -> None:
    meeting = MeetingRecorded(
        meeting_id="m1",
        kind="themed_activity",
        station_id="xijie",
        liaison_point_id="baiyun",
        held_on=date(2025, 4, 2),
        topic="垃圾分类",
        attendance=35,
        case_ids=["c1", "c2", "c1"],
        outcome="ok",
        recorded_by="xijie-staff",
        recorded_at=datetime(2025, 4, 3, 10, tzinfo=UTC),
    )

    made = meeting_contributions(meeting)

    assert [(c.dimension, c.key) for c in made] == [
        ("station", "xijie"),
        ("point", "baiyun"),
        ("city", "city"),
    ]
    assert all(c.day == date(2025, 4, 2) for c in made)
    assert made[0].counts == {"themed_activities": 1, "attendance": 35, "linked_cases": 2}


def test_a_keyed_report_is_searched_by_key_or_name_and_ordered_as_a_top_n() -> None:
    def item(key: str, name: str, received: int) -> KeyedSummary:
        return KeyedSummary(key=key, name=name, station_id=None, received=received)

    items = [item("0601", "陈海", 9), item("0412", "季立军", 3), item("0501", "王立", 9)]

    assert [i.key for i in find_keyed(items, text=" 立", order="key")] == ["0412", "0501"]
    assert [i.key for i in find_keyed(items, text="05", order="key")] == ["0501"]
    assert [i.key for i in find_keyed(items, text=None, order="received")] == [
        "0501",
        "0601",
        "0412",
    ]
