"""Folding daily buckets into the figures people read. Pure.

The handling counts and the rates are over the events of the period (see `kpis`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from pydantic import BaseModel

from services.reporting.domain.kpis import (
    RateEstimate,
    StationKpis,
    completion,
    satisfaction,
)

HANDLING = (
    "accepted",
    "declined",
    "rejected",
    "merged",
    "responded",
    "closed",
    "reopened",
    "escalated",
    "rated",
)
RATINGS = ("satisfied", "basically_satisfied", "dissatisfied")


class HandlingFigures(BaseModel):
    """Handling events in the period, the ratings given, and the two KPIs."""

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


class StationSummary(HandlingFigures):
    station_id: str
    station_name: str
    assigned: int
    to_representative: int
    to_station_queue: int
    reassigned: int
    by_category: dict[str, int]

    def kpis(self) -> StationKpis:
        return StationKpis(
            station_id=self.station_id,
            station_name=self.station_name,
            completion_rate=self.completion_rate,
            satisfaction_rate=self.satisfaction_rate,
        )


class CitySummary(HandlingFigures):
    received: int
    assigned: int
    by_channel: dict[str, int]


def _counts(bucket: Mapping[str, Any]) -> Mapping[str, Any]:
    counts = bucket.get("counts")
    return counts if isinstance(counts, Mapping) else {}


def _nested(counts: Mapping[str, Any], name: str) -> dict[str, int]:
    found = counts.get(name)
    return {str(k): int(v) for k, v in found.items()} if isinstance(found, Mapping) else {}


def _handling(total: Counter[str], ratings: Counter[str]) -> dict[str, Any]:
    figures: dict[str, Any] = {name: total[name] for name in HANDLING}
    figures["ratings"] = {name: ratings[name] for name in RATINGS} | dict(sorted(ratings.items()))
    figures["completion_rate"] = completion(closed=total["closed"], accepted=total["accepted"])
    figures["satisfaction_rate"] = satisfaction(
        satisfied=ratings["satisfied"],
        basically_satisfied=ratings["basically_satisfied"],
        rated=total["rated"],
    )
    return figures


def summarize_stations(buckets: Iterable[Mapping[str, Any]]) -> list[StationSummary]:
    totals: dict[str, Counter[str]] = {}
    categories: dict[str, Counter[str]] = {}
    ratings: dict[str, Counter[str]] = {}
    names: dict[str, str] = {}
    for bucket in buckets:
        station = str(bucket["station_id"])
        if bucket.get("station_name"):
            names[station] = str(bucket["station_name"])
        counts = _counts(bucket)
        total = totals.setdefault(station, Counter())
        for name in ("assigned", "to_representative", "to_station_queue", "reassigned", *HANDLING):
            total[name] += int(counts.get(name, 0))
        categories.setdefault(station, Counter()).update(_nested(counts, "by_category"))
        ratings.setdefault(station, Counter()).update(_nested(counts, "ratings"))
    return [
        StationSummary(
            station_id=station,
            station_name=names.get(station, station),
            assigned=total["assigned"],
            to_representative=total["to_representative"],
            to_station_queue=total["to_station_queue"],
            reassigned=total["reassigned"],
            by_category=dict(sorted(categories[station].items())),
            **_handling(total, ratings[station]),
        )
        for station, total in sorted(totals.items())
    ]


def summarize_city(buckets: Iterable[Mapping[str, Any]]) -> CitySummary:
    total: Counter[str] = Counter()
    channels: Counter[str] = Counter()
    ratings: Counter[str] = Counter()
    for bucket in buckets:
        counts = _counts(bucket)
        for name in ("received", "assigned", *HANDLING):
            total[name] += int(counts.get(name, 0))
        channels.update(_nested(counts, "by_channel"))
        ratings.update(_nested(counts, "ratings"))
    return CitySummary(
        received=total["received"],
        assigned=total["assigned"],
        by_channel=dict(sorted(channels.items())),
        **_handling(total, ratings),
    )


class Sentence(BaseModel):
    zh: str
    en: str


def _percent(value: float | None, *, missing: str) -> str:
    return missing if value is None else f"{value * 100:.1f}%"


def sentence(figures: HandlingFigures, *, since: date) -> Sentence:
    """What a reporter would quote: accepted, completion and satisfaction since a day."""
    done, happy = figures.completion_rate.rate, figures.satisfaction_rate.rate
    return Sentence(
        zh=(
            f"自{since.isoformat()}以来，受理意见建议{figures.accepted}件，"
            f"办结率{_percent(done, missing='暂无')}，满意度{_percent(happy, missing='暂无')}"
        ),
        en=(
            f"since {since.isoformat()}, {figures.accepted} suggestions accepted, "
            f"completion {_percent(done, missing='n/a')}, "
            f"satisfaction {_percent(happy, missing='n/a')}"
        ),
    )
