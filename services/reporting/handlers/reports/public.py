"""The public transparency figures, for `GET /v1/public/transparency` and the public page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.reporting.adapters.read_models import ReadModels
from services.reporting.domain.dashboard import Directory
from services.reporting.domain.summaries import CitySummary, Sentence, sentence
from services.reporting.domain.transparency import Transparency, transparency
from services.reporting.handlers.reports.figures import (
    city_summary,
    display_names,
    station_figures,
)


@dataclass(frozen=True)
class Public:
    """The figures, the city summary they were made from, and the stations' directory."""

    figures: Transparency
    city: CitySummary
    station_directory: Directory

    @property
    def sentence(self) -> Sentence:
        """The city's headline for the period."""
        return sentence(self.city, since=self.figures.since)


async def public_figures(read_models: ReadModels, *, since: date, until: date) -> Public:
    directory = await read_models.names("station")
    city = await city_summary(read_models, since=since, until=until)
    stations = await station_figures(
        read_models, since=since, until=until, station_names=display_names(directory)
    )
    figures = transparency(
        city,
        stations.summaries,
        since=since,
        until=until,
        activities=stations.activities,
        stages=await read_models.stages_now(),
    )
    return Public(figures=figures, city=city, station_directory=directory)
