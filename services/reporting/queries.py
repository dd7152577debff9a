"""Figures read from the read models: one place for what the JSON API and the pages show, so a
page and the API never disagree. Each function reads what it needs once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.reporting.adapters.read_models import ReadModels
from services.reporting.domain.activities import ActivityFigures, activities_by_station
from services.reporting.domain.contributions import Dimension
from services.reporting.domain.exports import Transparency, transparency
from services.reporting.domain.summaries import (
    CitySummary,
    StationSummary,
    summarize_city,
    summarize_stations,
)

DIRECTORY_KIND: dict[Dimension, str] = {
    "station": "station",
    "representative": "representative",
    "category": "category",
    "point": "liaison_point",
}


def display_names(entries: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Directory entries (as `ReadModels.names` keeps them) to their names, where they have one."""
    return {key: str(entry["name"]) for key, entry in entries.items() if entry.get("name")}


async def names(read_models: ReadModels, dimension: Dimension) -> dict[str, str]:
    return display_names(await read_models.names(DIRECTORY_KIND[dimension]))


@dataclass(frozen=True)
class StationFigures:
    summaries: list[StationSummary]
    activities: dict[str, ActivityFigures]


async def station_figures(
    read_models: ReadModels, *, since: date, until: date, station_names: Mapping[str, str]
) -> StationFigures:
    """Every station's summary and its meetings and activities, from one read of the buckets."""
    buckets = await read_models.buckets("station", since=since, until=until)
    return StationFigures(
        summaries=summarize_stations(
            buckets, now=await read_models.now_by("station"), names=station_names
        ),
        activities=activities_by_station(buckets),
    )


async def city_summary(read_models: ReadModels, *, since: date, until: date) -> CitySummary:
    buckets = await read_models.buckets("city", since=since, until=until)
    return summarize_city(buckets, now=await read_models.city_now())


async def public_figures(
    read_models: ReadModels, *, since: date, until: date, station_names: Mapping[str, str]
) -> tuple[Transparency, CitySummary]:
    """`GET /v1/public/transparency`'s figures, and the city summary they were made from."""
    city = await city_summary(read_models, since=since, until=until)
    stations = await station_figures(
        read_models, since=since, until=until, station_names=station_names
    )
    figures = transparency(
        city,
        stations.summaries,
        since=since,
        until=until,
        activities=stations.activities,
        stages=await read_models.stages_now(),
    )
    return figures, city
