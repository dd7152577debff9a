"""Folding daily buckets into the figures people read. Pure.

Counts and rates are over the events of the period (see `kpis`); `open_now` and `overdue_now`
are the state at the moment of asking, whatever the period.

Durations: each bucket keeps the exact durations (whole milliseconds) of the acceptances and
responses of its day (a roll-up, of its span, packed: `durations`), so a period's mean and p90
are exact, not estimated from a histogram:
- mean = sum of the durations ÷ their number, in seconds;
- p90 = nearest rank: the ⌈0.9·n⌉-th smallest duration, in seconds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from services.reporting.domain.durations import Durations
from services.reporting.domain.kpis import RateEstimate, completion, satisfaction

HANDLING = (
    "received",
    "reassigned",
    "accepted",
    "declined",
    "rejected",
    "merged",
    "responded",
    "closed",
    "reopened",
    "escalated",
    "rated",
    "followed_up",
    "supervised",
    "supervised_cases",
    "supervision_met",
    "supervision_missed",
    "returned",
    "merged_accepted",
    "supporters",
)
RATINGS = ("satisfied", "basically_satisfied", "dissatisfied")


class DurationStats(BaseModel):
    """Mean and 90th percentile (nearest rank) of a set of durations, in seconds."""

    count: int
    mean_seconds: float | None
    p90_seconds: float | None


def p90_rank(n: int) -> int:
    """The 1-based nearest rank of the 90th percentile: ⌈0.9·n⌉, in integers."""
    return (9 * n + 9) // 10


def duration_stats(durations_ms: Durations | Iterable[int]) -> DurationStats:
    found = Durations.of(durations_ms)
    mean = found.mean()
    if mean is None:
        return DurationStats(count=0, mean_seconds=None, p90_seconds=None)
    return DurationStats(
        count=found.count,
        mean_seconds=mean / 1000,
        p90_seconds=found.at_rank(p90_rank(found.count)) / 1000,
    )


class Now(BaseModel):
    """What is true at the moment of asking, for one key."""

    open_now: int = 0
    overdue_now: int = 0


class Figures(BaseModel):
    """Handling events in the period, the ratings given, the KPIs, times, and the state now.

    `received`: for the city, cases submitted; for a station, representative, category or
    point, cases first assigned to it (`case.assigned` round 1)."""

    received: int = 0
    reassigned: int = 0
    accepted: int = 0
    declined: int = 0
    rejected: int = 0
    merged: int = 0
    responded: int = 0
    closed: int = 0
    reopened: int = 0
    escalated: int = 0
    rated: int = 0
    ratings: dict[str, int] = {}
    completion_rate: RateEstimate = completion(closed=0, accepted=0)
    satisfaction_rate: RateEstimate = satisfaction(satisfied=0, basically_satisfied=0, rated=0)
    # Ratings staff recorded from follow-up calls (回访): beside the residents' own, never in them.
    followed_up: int = 0
    follow_up_ratings: dict[str, int] = {}
    follow_up_satisfaction_rate: RateEstimate = satisfaction(
        satisfied=0, basically_satisfied=0, rated=0
    )
    # Supervision (督办): records made, cases supervised (once each), records answered by their
    # deadline or not; and responses sent back for redo.
    supervised: int = 0
    supervised_cases: int = 0
    supervision_met: int = 0
    supervision_missed: int = 0
    returned: int = 0
    # Duplicates merged after they were accepted (out of completion's accepted: the survivor
    # completes the matter once), and residents who said "me too".
    merged_accepted: int = 0
    supporters: int = 0
    time_to_accept: DurationStats = duration_stats([])
    time_to_respond: DurationStats = duration_stats([])
    open_now: int = 0
    overdue_now: int = 0


def _counts(bucket: Mapping[str, Any]) -> Mapping[str, Any]:
    counts = bucket.get("counts")
    return counts if isinstance(counts, Mapping) else {}


def nested(counts: Mapping[str, Any], name: str) -> dict[str, int]:
    found = counts.get(name)
    return {str(k): int(v) for k, v in found.items()} if isinstance(found, Mapping) else {}


@dataclass
class Totals:
    """The sums of some buckets: flat counts, nested maps, and every duration."""

    counts: Counter[str] = field(default_factory=Counter)
    maps: dict[str, Counter[str]] = field(default_factory=dict)
    durations: dict[str, Durations] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    def add(self, bucket: Mapping[str, Any]) -> None:
        for name, value in _counts(bucket).items():
            if isinstance(value, Mapping):
                self.maps.setdefault(name, Counter()).update(nested(_counts(bucket), name))
            else:
                self.counts[name] += int(value)
        found = bucket.get("durations")
        if isinstance(found, Mapping):
            for kind, values in found.items():
                self.durations.setdefault(str(kind), Durations()).add(values)
        labels = bucket.get("labels")
        if isinstance(labels, Mapping):
            self.labels.update({str(k): str(v) for k, v in labels.items() if v})

    def map(self, name: str) -> dict[str, int]:
        return dict(sorted(self.maps.get(name, Counter()).items()))

    def figures(self, now: Now | None = None) -> dict[str, Any]:
        """The keyword arguments of `Figures`."""
        ratings = self.maps.get("ratings", Counter())
        follow_ups = self.maps.get("follow_up_ratings", Counter())
        now = now or Now()
        return {
            **{name: self.counts[name] for name in HANDLING},
            "ratings": {name: ratings[name] for name in RATINGS} | dict(sorted(ratings.items())),
            "completion_rate": completion(
                closed=self.counts["closed"],
                accepted=max(self.counts["accepted"] - self.counts["merged_accepted"], 0),
            ),
            "satisfaction_rate": satisfaction(
                satisfied=ratings["satisfied"],
                basically_satisfied=ratings["basically_satisfied"],
                rated=self.counts["rated"],
            ),
            "follow_up_ratings": {name: follow_ups[name] for name in RATINGS}
            | dict(sorted(follow_ups.items())),
            "follow_up_satisfaction_rate": satisfaction(
                satisfied=follow_ups["satisfied"],
                basically_satisfied=follow_ups["basically_satisfied"],
                rated=self.counts["followed_up"],
            ),
            "time_to_accept": duration_stats(self.durations.get("accept", Durations())),
            "time_to_respond": duration_stats(self.durations.get("respond", Durations())),
            "open_now": now.open_now,
            "overdue_now": now.overdue_now,
        }


def totals_by(
    buckets: Iterable[Mapping[str, Any]], *, field_name: str = "key"
) -> dict[str, Totals]:
    """Buckets summed per key (or per another field of the bucket), sorted by it."""
    found: dict[str, Totals] = {}
    for bucket in buckets:
        found.setdefault(str(bucket.get(field_name, "")), Totals()).add(bucket)
    return dict(sorted(found.items()))
