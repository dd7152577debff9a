"""The dashboard's figures: the JSON API's summaries for a period, city-wide or one station's."""

from __future__ import annotations

from datetime import date

from services.reporting.adapters.read_models import ReadModels
from services.reporting.domain.dashboard import Dashboard, Directory
from services.reporting.domain.house_repair import city_stages
from services.reporting.domain.kpis import DEFAULT_MIN_SAMPLE, rank
from services.reporting.domain.periods import group_by_for
from services.reporting.domain.series import category_series
from services.reporting.handlers.reports.figures import (
    city_summary,
    display_names,
    station_figures,
    summarize_keyed,
)


async def station_directory(read_models: ReadModels) -> Directory:
    return await read_models.names("station")


async def dashboard(
    read_models: ReadModels, *, since: date, until: date, station_id: str | None
) -> Dashboard:
    stations_directory = await read_models.names("station")
    categories_directory = await read_models.names("category")
    stations = await station_figures(
        read_models, since=since, until=until, station_names=display_names(stations_directory)
    )
    city = await city_summary(read_models, since=since, until=until)
    category_buckets = await read_models.buckets(
        "category", since=since, until=until, station_id=station_id, rolled=True
    )
    categories = await summarize_keyed(
        read_models,
        category_buckets,
        dimension="category",
        station_id=station_id,
        directory=categories_directory,
    )
    stages = await read_models.stages_now(station_id=station_id)
    kpis = [s.kpis() for s in stations.summaries]
    return Dashboard(
        since=since,
        until=until,
        station_id=station_id,
        city=city,
        stations=stations.summaries,
        categories=categories,
        series=category_series(
            category_buckets, since=since, until=until, group_by=group_by_for(since, until)
        ),
        stages=city_stages(stages),
        activities=stations.activities,
        completion_ranking=rank(kpis, metric="completion", min_sample=DEFAULT_MIN_SAMPLE),
        satisfaction_ranking=rank(kpis, metric="satisfaction", min_sample=DEFAULT_MIN_SAMPLE),
        station_directory=stations_directory,
        category_directory=categories_directory,
    )
