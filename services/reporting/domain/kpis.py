"""Station KPIs and a fair ranking of stations. Pure: counts in, rates and intervals out.

Rates are over the events of a period, not over a cohort of cases: a case accepted before the
period and closed inside it adds to `closed` but not to `accepted`, so closed can exceed
accepted. Such rates are capped at 1.0 (and the successes at the trials for the interval).

Ranking uses the lower bound of the Wilson score interval, so a station with 3 of 3 does not
outrank one with 280 of 300 on luck, and stations below a minimum sample are listed apart.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict

Metric = Literal["completion", "satisfaction"]

Z_95 = 1.96
DEFAULT_MIN_SAMPLE = 20
"""Fewer accepted (or rated) cases than this: not ranked, unless asked otherwise."""


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of a binomial proportion; None without trials."""
    if trials <= 0:
        return None
    k = min(max(successes, 0), trials)
    p = k / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    margin = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    return max(0.0, centre - margin), min(1.0, centre + margin)


def rate(successes: int, trials: int) -> float | None:
    """successes ÷ trials, capped at 1.0; None without trials."""
    if trials <= 0:
        return None
    return min(1.0, max(successes, 0) / trials)


class RateEstimate(BaseModel):
    """A rate with its 95% Wilson interval and the sample it rests on."""

    model_config = ConfigDict(frozen=True)

    rate: float | None
    low: float | None
    high: float | None
    successes: int
    sample: int


def estimate(successes: int, trials: int) -> RateEstimate:
    interval = wilson_interval(successes, trials)
    return RateEstimate(
        rate=rate(successes, trials),
        low=interval[0] if interval else None,
        high=interval[1] if interval else None,
        successes=successes,
        sample=trials,
    )


def completion(*, closed: int, accepted: int) -> RateEstimate:
    """办结率: closed ÷ accepted."""
    return estimate(closed, accepted)


def satisfaction(*, satisfied: int, basically_satisfied: int, rated: int) -> RateEstimate:
    """满意度: (satisfied + basically satisfied) ÷ rated."""
    return estimate(satisfied + basically_satisfied, rated)


class StationKpis(BaseModel):
    model_config = ConfigDict(frozen=True)

    station_id: str
    station_name: str
    completion_rate: RateEstimate
    satisfaction_rate: RateEstimate

    def metric(self, metric: Metric) -> RateEstimate:
        return self.completion_rate if metric == "completion" else self.satisfaction_rate


class RankedStation(BaseModel):
    rank: int | None
    station_id: str
    station_name: str
    rate: float | None
    low: float | None
    high: float | None
    sample: int


class Ranking(BaseModel):
    metric: Metric
    min_sample: int
    ranked: list[RankedStation]
    not_ranked: list[RankedStation]


def rank(stations: Iterable[StationKpis], *, metric: Metric, min_sample: int) -> Ranking:
    """Stations by the lower Wilson bound of `metric`, best first; below `min_sample` (or
    without any sample) they are listed, by station id, as not ranked."""
    eligible: list[StationKpis] = []
    small: list[StationKpis] = []
    for station in stations:
        estimate_ = station.metric(metric)
        if estimate_.low is None or estimate_.sample < max(min_sample, 1):
            small.append(station)
        else:
            eligible.append(station)

    def row(station: StationKpis, position: int | None) -> RankedStation:
        e = station.metric(metric)
        return RankedStation(
            rank=position,
            station_id=station.station_id,
            station_name=station.station_name,
            rate=e.rate,
            low=e.low,
            high=e.high,
            sample=e.sample,
        )

    eligible.sort(
        key=lambda s: (
            -(s.metric(metric).low or 0.0),
            -(s.metric(metric).rate or 0.0),
            -s.metric(metric).sample,
            s.station_id,
        )
    )
    return Ranking(
        metric=metric,
        min_sample=min_sample,
        ranked=[row(s, i) for i, s in enumerate(eligible, start=1)],
        not_ranked=[row(s, None) for s in sorted(small, key=lambda s: s.station_id)],
    )
