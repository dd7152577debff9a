"""Figures per station, representative, category, liaison point and the city for a period; one
key's series; house-repair stages and meetings now; the stations ranked; the headlines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.reporting.adapters.read_models import ReadModels
from services.reporting.domain.activities import (
    ActivityFigures,
    ActivityStation,
    activities_by_station,
    stations_that_held,
    sum_activities,
)
from services.reporting.domain.contributions import Dimension
from services.reporting.domain.errors import InvalidQuery
from services.reporting.domain.house_repair import HouseRepairStation, city_stages, station_stages
from services.reporting.domain.kpis import Metric, Ranking, rank
from services.reporting.domain.periods import GroupBy, slices
from services.reporting.domain.series import MAX_SERIES_SLICES, SeriesPoint, series_points
from services.reporting.domain.summaries import (
    CitySummary,
    KeyedSummary,
    StationSummary,
    summarize_city,
    summarize_keys,
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
    buckets = await read_models.buckets("station", since=since, until=until, rolled=True)
    return StationFigures(
        summaries=summarize_stations(
            buckets, now=await read_models.now_by("station"), names=station_names
        ),
        activities=activities_by_station(buckets),
    )


async def station_summaries(
    read_models: ReadModels, *, since: date, until: date
) -> list[StationSummary]:
    figures = await station_figures(
        read_models, since=since, until=until, station_names=await names(read_models, "station")
    )
    return figures.summaries


async def city_summary(read_models: ReadModels, *, since: date, until: date) -> CitySummary:
    buckets = await read_models.buckets("city", since=since, until=until, rolled=True)
    return summarize_city(buckets, now=await read_models.city_now())


async def keyed_summaries(
    read_models: ReadModels,
    *,
    dimension: Dimension,
    since: date,
    until: date,
    station_id: str | None,
) -> list[KeyedSummary]:
    """Per representative, category or point, ordered by key, optionally for one station."""
    buckets = await read_models.buckets(
        dimension, since=since, until=until, station_id=station_id, rolled=True
    )
    directory = await read_models.names(DIRECTORY_KIND[dimension])
    return await summarize_keyed(
        read_models, buckets, dimension=dimension, station_id=station_id, directory=directory
    )


async def summarize_keyed(
    read_models: ReadModels,
    buckets: Sequence[Mapping[str, Any]],
    *,
    dimension: Dimension,
    station_id: str | None,
    directory: Mapping[str, Mapping[str, Any]],
) -> list[KeyedSummary]:
    """Buckets already read, with the state now, named (and placed) by their directory."""
    return summarize_keys(
        buckets,
        now=await read_models.now_by(dimension, station_id=station_id),
        names=display_names(directory),
        stations={k: str(d["station"]) for k, d in directory.items() if d.get("station")},
    )


async def series(
    read_models: ReadModels,
    *,
    dimension: Dimension,
    key: str | None,
    station_id: str | None,
    group_by: GroupBy,
    since: date,
    until: date,
) -> list[SeriesPoint]:
    """The city's or one key's figures per slice; checked before anything is read."""
    if dimension != "city" and key is None:
        raise InvalidQuery("key", f"a {dimension} series needs a key")
    cut = slices(since, until, group_by)
    if len(cut) > MAX_SERIES_SLICES:
        raise InvalidQuery("group_by", f"more than {MAX_SERIES_SLICES} slices; group by more")
    buckets = await read_models.buckets(
        dimension,
        since=since,
        until=until,
        station_id=None if dimension in ("city", "station") else station_id,
        keys=None if dimension == "city" else [key or ""],
    )
    return series_points(buckets, cut=cut, group_by=group_by)


@dataclass(frozen=True)
class HouseRepair:
    city: dict[str, int]
    stations: list[HouseRepairStation]


async def house_repair(read_models: ReadModels, *, station_id: str | None) -> HouseRepair:
    """Houses per stage now, per station (with its households' consent) and city-wide."""
    stages = await read_models.stages_now(station_id=station_id)
    consents = await read_models.consents_now(station_id=station_id)
    station_names = await names(read_models, "station")
    return HouseRepair(
        city=city_stages(stages), stations=station_stages(stages, station_names, consents)
    )


@dataclass(frozen=True)
class Activities:
    city: ActivityFigures
    stations: list[ActivityStation]


async def activities(
    read_models: ReadModels, *, since: date, until: date, station_id: str | None
) -> Activities:
    """Meetings and themed activities held, by the stations that held any, and their sum."""
    buckets = await read_models.buckets(
        "station", since=since, until=until, station_id=station_id, rolled=True
    )
    station_names = await names(read_models, "station")
    held = activities_by_station(buckets)
    return Activities(
        city=sum_activities(f for f in held.values() if f.held),
        stations=stations_that_held(held, station_names),
    )


async def station_ranking(
    read_models: ReadModels, *, metric: Metric, min_sample: int, since: date, until: date
) -> Ranking:
    stations = await station_summaries(read_models, since=since, until=until)
    return rank([s.kpis() for s in stations], metric=metric, min_sample=min_sample)


@dataclass(frozen=True)
class Summary:
    city: CitySummary
    stations: list[StationSummary]


async def summary(read_models: ReadModels, *, since: date, until: date) -> Summary:
    """What the headlines quote: the city's and every station's figures."""
    city = await city_summary(read_models, since=since, until=until)
    return Summary(
        city=city, stations=await station_summaries(read_models, since=since, until=until)
    )
