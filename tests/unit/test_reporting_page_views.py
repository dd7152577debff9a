"""The dashboard's words and series: rates with their interval, times, names, categories."""

from __future__ import annotations

from datetime import date

from services.reporting.domain.figures import duration_stats
from services.reporting.domain.kpis import completion
from services.reporting.domain.periods import group_by_for
from services.reporting.domain.series import category_series
from services.reporting.web import views


def test_a_rate_is_said_with_its_sample_and_interval() -> None:
    rate = completion(closed=129, accepted=140)
    assert views.rate_words(rate, "en") == "92.1% (n=140, 95% CI 86–96%)"
    assert views.rate_words(rate, "zh") == "92.1%（样本 140，95% 置信区间 86–96%）"


def test_a_rate_without_a_sample_says_so() -> None:
    assert views.rate_words(completion(closed=0, accepted=0), "en") == "n/a (n=0)"
    assert views.rate_words(completion(closed=0, accepted=0), "zh") == "暂无（样本 0）"


def test_times_read_in_minutes_hours_or_days() -> None:
    assert views.duration(None, "en") == "n/a"
    assert views.duration(90, "en") == "2 min"
    assert views.duration(5 * 3600, "zh") == "5.0 小时"
    assert views.duration(3 * 86400 + 43200, "en") == "3.5 days"


def test_a_time_chart_switches_to_days_when_a_p90_reaches_two() -> None:
    hours = views.time_chart(
        [views.TimeLine(label="a", stats=duration_stats([3_600_000, 7_200_000]))],
        chart_id="t",
        lang="en",
    )
    assert "mean time in hours" in hours
    days = views.time_chart(
        [views.TimeLine(label="a", stats=duration_stats([86_400_000, 3 * 86_400_000]))],
        chart_id="t",
        lang="en",
    )
    assert "mean time in days" in days and "2.0 days / 3.0 days" in days


def test_directory_names_follow_the_reader_s_language() -> None:
    directory = {"xijie": {"name": "西街街道人大代表联络站", "name_en": "Xijie station"}}
    assert views.directory_label(directory, "xijie", "en", "xijie") == "Xijie station"
    assert views.directory_label(directory, "xijie", "zh", "xijie") == "西街街道人大代表联络站"
    assert views.directory_label(directory, "other", "en", "other") == "other"


def test_category_buckets_are_summed_per_category_and_slice() -> None:
    buckets = [
        {"key": "parking", "day": "2026-01-05", "counts": {"received": 2}},
        {"key": "parking", "day": "2026-01-06", "counts": {"received": 1}},
        {"key": "parking", "day": "2026-01-14", "counts": {"received": 4}},
        {"key": "drainage", "day": "2026-01-14", "counts": {"received": 1, "accepted": 1}},
    ]
    series = category_series(
        buckets, since=date(2026, 1, 1), until=date(2026, 1, 20), group_by="week"
    )
    # Weeks from Monday, the first and last clipped to the period.
    assert [start for start, _ in series.slices] == [
        date(2026, 1, 1),
        date(2026, 1, 5),
        date(2026, 1, 12),
        date(2026, 1, 19),
    ]
    assert series.counts == {"drainage": [0, 0, 1, 0], "parking": [0, 3, 4, 0]}


def test_the_series_slice_length_follows_the_period() -> None:
    assert group_by_for(date(2026, 1, 1), date(2026, 1, 31)) == "day"
    assert group_by_for(date(2026, 1, 1), date(2026, 6, 1)) == "week"
    assert group_by_for(date(2025, 1, 1), date(2026, 1, 1)) == "month"
