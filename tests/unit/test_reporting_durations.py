"""Durations read from daily lists and packed roll-ups give the figures of sorting them all."""

from __future__ import annotations

import random

import pytest

from services.reporting.domain.durations import Durations, pack
from services.reporting.domain.figures import duration_stats


def test_every_rank_of_runs_and_loose_values_is_the_sorted_values_rank() -> None:
    rng = random.Random(7)
    for _ in range(40):
        every: list[int] = []
        durations = Durations()
        for _ in range(rng.randint(1, 5)):
            values = [
                rng.choice((rng.randint(0, 50), rng.randint(0, 4_000_000_000)))
                for _ in range(rng.randint(0, 30))
            ]
            every.extend(values)
            durations.add(pack(values) if rng.random() < 0.5 else values)
        ordered = sorted(every)
        assert durations.count == len(ordered)
        assert durations.total == sum(ordered)
        assert [durations.at_rank(k) for k in range(1, len(ordered) + 1)] == ordered


def test_stats_from_roll_ups_and_days_equal_those_of_the_plain_list() -> None:
    days = [5000, 1000, 3000, 2000, 4000]
    rolled = [6000, 7000, 8000, 9000, 100000]
    durations = Durations()
    durations.add(pack(rolled))
    durations.add(days)
    assert duration_stats(durations) == duration_stats(days + rolled)
    assert duration_stats(durations).p90_seconds == 9.0


def test_a_duration_over_a_month_packs_whole_and_a_rank_outside_the_count_is_refused() -> None:
    durations = Durations.of([])
    durations.add(pack([40 * 86_400_000]))
    assert durations.at_rank(1) == 40 * 86_400_000
    with pytest.raises(ValueError):
        durations.at_rank(2)
    assert Durations().mean() is None
