"""The JSON API's answers (the figures inside them are the domain's models)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel

from services.reporting.domain.activities import ActivityFigures, ActivityStation
from services.reporting.domain.contributions import Dimension
from services.reporting.domain.figures import Figures
from services.reporting.domain.house_repair import HouseRepairStation
from services.reporting.domain.kpis import Ranking
from services.reporting.domain.periods import GroupBy
from services.reporting.domain.series import SeriesPoint
from services.reporting.domain.summaries import (
    CitySummary,
    KeyedSummary,
    Sentence,
    StationSummary,
    sentence,
)


class Period(BaseModel):
    since: date
    until: date


class StationsReport(BaseModel):
    period: Period
    stations: list[StationSummary]


class CityReport(BaseModel):
    period: Period
    city: CitySummary


class KeyedReport(BaseModel):
    """One page of representatives, categories or points, by key or most received first."""

    period: Period
    station_id: str | None
    total: int
    limit: int
    offset: int
    items: list[KeyedSummary]


class SeriesReport(BaseModel):
    period: Period
    dimension: Dimension
    key: str | None
    station_id: str | None
    group_by: GroupBy
    points: list[SeriesPoint]


class HouseRepairReport(BaseModel):
    """Dilapidated houses per stage now (each house once, however many cases it has); `total`
    is the houses under governance, the stages partition it."""

    city: dict[str, int]
    total: int
    stations: list[HouseRepairStation]


class ActivitiesReport(BaseModel):
    period: Period
    city: ActivityFigures
    stations: list[ActivityStation]


class RankingReport(BaseModel):
    period: Period
    ranking: Ranking


def _headline(figures: Figures, *, since: date) -> dict[str, Any]:
    """What a headline says of any figures: counts, rates and the sentence."""
    return {
        "accepted": figures.accepted,
        "closed": figures.closed,
        "rated": figures.rated,
        "completion_rate": figures.completion_rate.rate,
        "satisfaction_rate": figures.satisfaction_rate.rate,
        "sentence": sentence(figures, since=since),
    }


class StationHeadline(BaseModel):
    station_id: str
    station_name: str
    accepted: int
    closed: int
    rated: int
    completion_rate: float | None
    satisfaction_rate: float | None
    sentence: Sentence

    @classmethod
    def of(cls, station: StationSummary, *, since: date) -> StationHeadline:
        return cls(
            station_id=station.station_id,
            station_name=station.station_name,
            **_headline(station, since=since),
        )


class CityHeadline(BaseModel):
    accepted: int
    closed: int
    rated: int
    completion_rate: float | None
    satisfaction_rate: float | None
    sentence: Sentence

    @classmethod
    def of(cls, city: CitySummary, *, since: date) -> CityHeadline:
        return cls(**_headline(city, since=since))


class SummaryReport(BaseModel):
    """The sentences a reporter would quote, with the numbers behind them."""

    period: Period
    city: CityHeadline
    stations: list[StationHeadline]
