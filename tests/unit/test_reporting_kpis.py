"""Reporting KPIs: Wilson intervals, rates, fair ranking, sentences."""

from __future__ import annotations

from datetime import date

import pytest

from services.reporting.domain.kpis import (
    StationKpis,
    completion,
    rank,
    rate,
    satisfaction,
    wilson_interval,
)
from services.reporting.domain.summaries import sentence, summarize_city, summarize_stations

# --- Wilson interval and rates ---------------------------------------------------------------


def test_wilson_interval_of_8_in_10_matches_the_textbook_values() -> None:
    interval = wilson_interval(8, 10)

    assert interval is not None
    assert interval == pytest.approx((0.4902, 0.9433), abs=5e-4)


def test_wilson_interval_without_trials_is_none() -> None:
    assert wilson_interval(0, 0) is None
    assert rate(0, 0) is None


def test_wilson_interval_edges_stay_inside_zero_and_one() -> None:
    none_of_five = wilson_interval(0, 5)
    all_of_five = wilson_interval(5, 5)

    assert none_of_five is not None and all_of_five is not None
    assert none_of_five[0] == 0.0 and none_of_five[1] == pytest.approx(0.4345, abs=5e-4)
    assert all_of_five[1] == 1.0 and all_of_five[0] == pytest.approx(0.5655, abs=5e-4)


def test_a_wider_z_gives_a_wider_interval() -> None:
    narrow, wide = wilson_interval(8, 10, z=1.0), wilson_interval(8, 10, z=2.576)

    assert narrow is not None and wide is not None
    assert wide[0] < narrow[0] < 0.8 < narrow[1] < wide[1]


def test_rates_are_capped_at_one_when_more_close_than_were_accepted_in_the_period() -> None:
    assert rate(3, 4) == 0.75
    assert rate(7, 5) == 1.0
    capped = completion(closed=7, accepted=5)
    assert (capped.rate, capped.high, capped.sample, capped.successes) == (1.0, 1.0, 5, 7)
    assert capped.low == pytest.approx(wilson_interval(5, 5)[0])  # type: ignore[index]


def test_satisfaction_counts_satisfied_and_basically_satisfied() -> None:
    figures = satisfaction(satisfied=6, basically_satisfied=2, rated=10)

    assert (figures.rate, figures.successes, figures.sample) == (0.8, 8, 10)
    assert (figures.low, figures.high) == pytest.approx(wilson_interval(8, 10))


# --- ranking ---------------------------------------------------------------------------------


def kpis(station: str, closed: int, accepted: int, happy: int = 0, rated: int = 0) -> StationKpis:
    return StationKpis(
        station_id=station,
        station_name=f"{station} station",
        completion_rate=completion(closed=closed, accepted=accepted),
        satisfaction_rate=satisfaction(satisfied=happy, basically_satisfied=0, rated=rated),
    )


def test_three_of_three_does_not_outrank_280_of_300() -> None:
    ranking = rank(
        [kpis("lucky", 3, 3), kpis("steady", 280, 300)], metric="completion", min_sample=1
    )

    assert [(s.rank, s.station_id) for s in ranking.ranked] == [(1, "steady"), (2, "lucky")]
    assert ranking.ranked[1].rate == 1.0
    assert ranking.not_ranked == []


def test_stations_below_the_minimum_sample_are_listed_as_not_ranked() -> None:
    stations = [kpis("b", 3, 3), kpis("a", 9, 19), kpis("c", 15, 20), kpis("d", 0, 0)]

    ranking = rank(stations, metric="completion", min_sample=20)

    assert [s.station_id for s in ranking.ranked] == ["c"]
    assert [(s.station_id, s.rank, s.sample) for s in ranking.not_ranked] == [
        ("a", None, 19),
        ("b", None, 3),
        ("d", None, 0),
    ]
    assert (ranking.metric, ranking.min_sample) == ("completion", 20)


def test_ranking_by_satisfaction_uses_the_satisfaction_interval() -> None:
    stations = [kpis("x", 10, 10, happy=5, rated=50), kpis("y", 1, 10, happy=45, rated=50)]

    ranking = rank(stations, metric="satisfaction", min_sample=20)

    assert [s.station_id for s in ranking.ranked] == ["y", "x"]
    top = ranking.ranked[0]
    assert (top.rate, top.sample) == (0.9, 50)
    assert (top.low, top.high) == pytest.approx(wilson_interval(45, 50))


# --- summaries and sentences -----------------------------------------------------------------


def test_summaries_add_handling_counts_ratings_and_kpis() -> None:
    buckets = [
        {
            "station_id": "xijie",
            "labels": {"station_name": "西街联络站"},
            "counts": {"received": 2, "accepted": 2, "closed": 1, "rated": 1},
        },
        {
            "station_id": "xijie",
            "counts": {
                "accepted": 2,
                "closed": 3,
                "escalated": 1,
                "rated": 3,
                "ratings": {"satisfied": 2, "dissatisfied": 1, "basically_satisfied": 1},
            },
        },
    ]

    (station,) = summarize_stations(buckets)
    city = summarize_city(buckets)

    for figures in (station, city):
        assert (figures.accepted, figures.closed, figures.escalated, figures.rated) == (4, 4, 1, 4)
        assert figures.ratings == {"satisfied": 2, "basically_satisfied": 1, "dissatisfied": 1}
        assert figures.completion_rate.rate == 1.0
        assert figures.satisfaction_rate.rate == 0.75
    assert station.station_name == "西街联络站"
    assert station.kpis().completion_rate == station.completion_rate


def test_the_sentence_quotes_accepted_completion_and_satisfaction_in_both_languages() -> None:
    city = summarize_city([{"counts": {"accepted": 126, "closed": 126, "rated": 8}}])
    city = city.model_copy(
        update={"satisfaction_rate": satisfaction(satisfied=7, basically_satisfied=0, rated=8)}
    )

    quoted = sentence(city, since=date(2025, 4, 1))

    assert quoted.en == (
        "since 2025-04-01, 126 suggestions accepted, completion 100.0%, satisfaction 87.5%"
    )
    assert quoted.zh == "自2025-04-01以来，受理意见建议126件，办结率100.0%，满意度87.5%"


def test_the_sentence_says_no_figure_when_there_is_no_sample() -> None:
    quoted = sentence(summarize_city([]), since=date(2025, 4, 1))

    assert quoted.en.endswith("0 suggestions accepted, completion n/a, satisfaction n/a")
    assert "办结率暂无，满意度暂无" in quoted.zh
