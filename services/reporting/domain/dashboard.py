"""The dashboard's figures for a period, city-wide or for one station. Pure.

Everything on the page comes from the same summaries as the JSON API (`/stations`, `/city`,
`/categories`, `/series`, `/house-repair`, `/activities`, `/rankings`), so a page and the API
never disagree; the read side (`handlers/reports/dashboard.py`) gathers them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.reporting.domain.activities import ActivityFigures, sum_activities
from services.reporting.domain.kpis import Ranking
from services.reporting.domain.series import CategorySeries
from services.reporting.domain.summaries import (
    CitySummary,
    KeyedSummary,
    Sentence,
    StationSummary,
    sentence,
)

Directory = Mapping[str, Mapping[str, Any]]
"""Directory entries by key, as reporting keeps them: name, name_en, station."""


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

    def knows_station(self, station_id: str) -> bool:
        """Whether the directory or the figures know this station."""
        return station_id in self.station_directory or any(
            s.station_id == station_id for s in self.stations
        )
