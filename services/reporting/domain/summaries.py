"""The figures of each station, representative, category, liaison point and the city, and the
sentence a reporter would quote. Pure: bucket documents (and the state now) in.

The handling counts and the rates are over the events of the period (see `kpis`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel

from services.reporting.domain.contributions import Dimension
from services.reporting.domain.figures import Figures, Now, Totals, totals_by
from services.reporting.domain.kpis import StationKpis

KeyedKind = Literal["representatives", "categories", "points"]
"""The keyed reports, by their name in the API's paths and the exports' file names."""
KIND_DIMENSION: dict[KeyedKind, Dimension] = {
    "representatives": "representative",
    "categories": "category",
    "points": "point",
}


class StationSummary(Figures):
    """`assigned` is `received` under the name the first reports used."""

    station_id: str
    station_name: str
    assigned: int
    to_representative: int
    to_station_queue: int
    by_category: dict[str, int]

    def kpis(self) -> StationKpis:
        return StationKpis(
            station_id=self.station_id,
            station_name=self.station_name,
            completion_rate=self.completion_rate,
            satisfaction_rate=self.satisfaction_rate,
        )


class CitySummary(Figures):
    """`received`: cases submitted; `assigned`: cases first assigned to a station."""

    assigned: int
    by_channel: dict[str, int]


class KeyedSummary(Figures):
    """One representative, category or liaison point; `name` from the directory when known."""

    key: str
    name: str
    station_id: str | None


KeyedOrder = Literal["key", "received"]
"""A keyed report's order: by key, or most received first (the top N)."""


def find_keyed(
    items: Iterable[KeyedSummary], *, text: str | None, order: KeyedOrder
) -> list[KeyedSummary]:
    """The items whose key starts with `text` or whose name holds it (case and surrounding
    blanks ignored), by key or most received first (ties by key): a city's 1,027
    representatives are found by name or code, or read as a top N, not scrolled through."""
    wanted = (text or "").strip().casefold()
    found = [
        item
        for item in items
        if not wanted or item.key.casefold().startswith(wanted) or wanted in item.name.casefold()
    ]
    if order == "received":
        return sorted(found, key=lambda item: (-item.received, item.key))
    return sorted(found, key=lambda item: item.key)


def summarize_stations(
    buckets: Iterable[Mapping[str, Any]],
    *,
    now: Mapping[str, Now] | None = None,
    names: Mapping[str, str] | None = None,
) -> list[StationSummary]:
    now, names = now or {}, names or {}
    totals = totals_by(buckets, field_name="station_id")
    summaries: list[StationSummary] = []
    for station in sorted(set(totals) | set(now)):
        total = totals.get(station, Totals())
        summaries.append(
            StationSummary(
                station_id=station,
                station_name=names.get(station) or total.labels.get("station_name") or station,
                assigned=total.counts["received"],
                to_representative=total.counts["to_representative"],
                to_station_queue=total.counts["to_station_queue"],
                by_category=total.map("by_category"),
                **total.figures(now.get(station)),
            )
        )
    return summaries


def summarize_city(buckets: Iterable[Mapping[str, Any]], *, now: Now | None = None) -> CitySummary:
    total = Totals()
    for bucket in buckets:
        total.add(bucket)
    return CitySummary(
        assigned=total.counts["assigned"], by_channel=total.map("by_channel"), **total.figures(now)
    )


def summarize_keys(
    buckets: Iterable[Mapping[str, Any]],
    *,
    now: Mapping[str, Now] | None = None,
    names: Mapping[str, str] | None = None,
    stations: Mapping[str, str] | None = None,
) -> list[KeyedSummary]:
    """Per key, summed over the stations of the buckets given; a key with figures only now
    (open cases, nothing in the period) is listed too."""
    now, names, stations = now or {}, names or {}, stations or {}
    totals = totals_by(buckets)
    summaries: list[KeyedSummary] = []
    for key in sorted(set(totals) | set(now)):
        total = totals.get(key, Totals())
        summaries.append(
            KeyedSummary(
                key=key,
                name=names.get(key) or total.labels.get("representative_name") or key,
                station_id=stations.get(key),
                **total.figures(now.get(key)),
            )
        )
    return summaries


class Sentence(BaseModel):
    zh: str
    en: str


def _percent(value: float | None, *, missing: str) -> str:
    return missing if value is None else f"{value * 100:.1f}%"


def sentence(figures: Figures, *, since: date) -> Sentence:
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
