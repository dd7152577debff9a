"""The figures the pages show, read through the same read models and domain functions as the
JSON API (`entrypoints/http.py`: `/stations`, `/city`, `/categories`, `/series`,
`/house-repair`, `/activities`, `/rankings`, `/v1/public/transparency`), so a page and the API
never disagree."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.reporting import queries
from services.reporting.adapters.read_models import ReadModels
from services.reporting.domain.activities import ActivityFigures, sum_activities
from services.reporting.domain.exports import Transparency
from services.reporting.domain.figures import totals_by
from services.reporting.domain.house_repair import every_stage
from services.reporting.domain.kpis import Ranking, rank
from services.reporting.domain.periods import GroupBy, slice_of, slices
from services.reporting.domain.summaries import (
    CitySummary,
    KeyedSummary,
    Sentence,
    StationSummary,
    sentence,
    summarize_keys,
)
from services.reporting.queries import display_names

MIN_SAMPLE = 20
"""The rankings' minimum sample, the JSON API's default."""

Directory = Mapping[str, Mapping[str, Any]]
"""Directory entries by key, as reporting keeps them: name, name_en, station."""


def group_by_for(since: date, until: date) -> GroupBy:
    """Slices a chart can show: days for a month, weeks for half a year, months beyond."""
    days = (until - since).days + 1
    return "day" if days <= 31 else "week" if days <= 190 else "month"


@dataclass(frozen=True)
class CategorySeries:
    """Cases first assigned per category and slice (day, week or month)."""

    group_by: GroupBy
    slices: list[tuple[date, date]]
    counts: dict[str, list[int]]


def category_series(
    buckets: Iterable[Mapping[str, Any]], *, since: date, until: date, group_by: GroupBy
) -> CategorySeries:
    """Category buckets summed per category and slice, as `/series` sums one key's."""
    cut = slices(since, until, group_by)
    starts = [slice_of(start, group_by).isoformat() for start, _ in cut]
    per_category: dict[str, list[Mapping[str, Any]]] = {}
    for bucket in buckets:
        sliced = {
            **bucket,
            "slice": slice_of(date.fromisoformat(str(bucket["day"])), group_by).isoformat(),
        }
        per_category.setdefault(str(bucket["key"]), []).append(sliced)
    counts: dict[str, list[int]] = {}
    for category, found in sorted(per_category.items()):
        totals = totals_by(found, field_name="slice")
        counts[category] = [
            totals[start].counts["received"] if start in totals else 0 for start in starts
        ]
    return CategorySeries(group_by=group_by, slices=cut, counts=counts)


@dataclass(frozen=True)
class Dashboard:
    since: date
    until: date
    station_id: str | None
    city: CitySummary
    stations: list[StationSummary]
    categories: list[KeyedSummary]
    series: CategorySeries
    stages: dict[str, int]
    activities: dict[str, ActivityFigures]
    completion_ranking: Ranking
    satisfaction_ranking: Ranking
    station_directory: Directory
    category_directory: Directory

    @property
    def selected(self) -> StationSummary | None:
        """The chosen station's figures (all zero when it had nothing), or None city-wide."""
        if self.station_id is None:
            return None
        found = next((s for s in self.stations if s.station_id == self.station_id), None)
        name = self.station_directory.get(self.station_id, {}).get("name")
        return found or StationSummary(
            station_id=self.station_id,
            station_name=str(name or self.station_id),
            assigned=0,
            to_representative=0,
            to_station_queue=0,
            by_category={},
        )

    @property
    def sentence(self) -> Sentence:
        return sentence(self.selected or self.city, since=self.since)

    @property
    def shown_activities(self) -> ActivityFigures:
        if self.station_id is not None:
            return self.activities.get(self.station_id, ActivityFigures())
        return sum_activities(self.activities.values())


async def station_directory(read_models: ReadModels) -> Directory:
    return await read_models.names("station")


async def dashboard(
    read_models: ReadModels, *, since: date, until: date, station_id: str | None
) -> Dashboard:
    stations_directory = await read_models.names("station")
    categories_directory = await read_models.names("category")
    station_figures = await queries.station_figures(
        read_models, since=since, until=until, station_names=display_names(stations_directory)
    )
    stations = station_figures.summaries
    city = await queries.city_summary(read_models, since=since, until=until)
    category_buckets = await read_models.buckets(
        "category", since=since, until=until, station_id=station_id
    )
    categories = summarize_keys(
        category_buckets,
        now=await read_models.now_by("category", station_id=station_id),
        names=display_names(categories_directory),
    )
    stages = await read_models.stages_now(station_id=station_id)
    stage_totals: dict[str, int] = {}
    for counts in stages.values():
        for stage, n in counts.items():
            stage_totals[stage] = stage_totals.get(stage, 0) + n
    kpis = [s.kpis() for s in stations]
    return Dashboard(
        since=since,
        until=until,
        station_id=station_id,
        city=city,
        stations=stations,
        categories=categories,
        series=category_series(
            category_buckets, since=since, until=until, group_by=group_by_for(since, until)
        ),
        stages=every_stage(stage_totals),
        activities=station_figures.activities,
        completion_ranking=rank(kpis, metric="completion", min_sample=MIN_SAMPLE),
        satisfaction_ranking=rank(kpis, metric="satisfaction", min_sample=MIN_SAMPLE),
        station_directory=stations_directory,
        category_directory=categories_directory,
    )


async def public(
    read_models: ReadModels, *, since: date, until: date
) -> tuple[Transparency, Sentence, Directory]:
    """`GET /v1/public/transparency`'s figures, the city's sentence and the stations' names."""
    directory = await read_models.names("station")
    figures, city = await queries.public_figures(
        read_models, since=since, until=until, station_names=display_names(directory)
    )
    return figures, sentence(city, since=since), directory
