"""Folding daily buckets into the figures people read. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel


class StationSummary(BaseModel):
    station_id: str
    station_name: str
    assigned: int
    to_representative: int
    to_station_queue: int
    reassigned: int
    by_category: dict[str, int]


class CitySummary(BaseModel):
    received: int
    assigned: int
    by_channel: dict[str, int]


def _counts(bucket: Mapping[str, Any]) -> Mapping[str, Any]:
    counts = bucket.get("counts")
    return counts if isinstance(counts, Mapping) else {}


def summarize_stations(buckets: Iterable[Mapping[str, Any]]) -> list[StationSummary]:
    totals: dict[str, Counter[str]] = {}
    categories: dict[str, Counter[str]] = {}
    names: dict[str, str] = {}
    for bucket in buckets:
        station = str(bucket["station_id"])
        names[station] = str(bucket.get("station_name", station))
        counts = _counts(bucket)
        total = totals.setdefault(station, Counter())
        for name in ("assigned", "to_representative", "to_station_queue", "reassigned"):
            total[name] += int(counts.get(name, 0))
        categories.setdefault(station, Counter()).update(
            {k: int(v) for k, v in (counts.get("by_category") or {}).items()}
        )
    return [
        StationSummary(
            station_id=station,
            station_name=names[station],
            assigned=total["assigned"],
            to_representative=total["to_representative"],
            to_station_queue=total["to_station_queue"],
            reassigned=total["reassigned"],
            by_category=dict(sorted(categories[station].items())),
        )
        for station, total in sorted(totals.items())
    ]


def summarize_city(buckets: Iterable[Mapping[str, Any]]) -> CitySummary:
    received = assigned = 0
    channels: Counter[str] = Counter()
    for bucket in buckets:
        counts = _counts(bucket)
        received += int(counts.get("received", 0))
        assigned += int(counts.get("assigned", 0))
        channels.update({k: int(v) for k, v in (counts.get("by_channel") or {}).items()})
    return CitySummary(
        received=received, assigned=assigned, by_channel=dict(sorted(channels.items()))
    )
