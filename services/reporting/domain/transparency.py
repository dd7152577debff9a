"""The public transparency figures: counts and rates only — no case text, no people. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from pydantic import BaseModel

from services.reporting.domain.activities import ActivityFigures, sum_activities
from services.reporting.domain.house_repair import StagesByStation, city_stages, every_stage
from services.reporting.domain.kpis import RateEstimate
from services.reporting.domain.summaries import CitySummary, StationSummary


class PublicFigures(BaseModel):
    """received: cases submitted (city) or first assigned to the station (station)."""

    received: int
    accepted: int
    closed: int
    rated: int
    completion_rate: RateEstimate
    satisfaction_rate: RateEstimate
    activities: ActivityFigures
    house_repair_stages: dict[str, int]


class PublicStation(PublicFigures):
    station_id: str
    station_name: str


class Transparency(BaseModel):
    since: date
    until: date
    city: PublicFigures
    stations: list[PublicStation]


def transparency(
    city: CitySummary,
    stations: Iterable[StationSummary],
    *,
    since: date,
    until: date,
    activities: Mapping[str, ActivityFigures] | None = None,
    stages: StagesByStation | None = None,
) -> Transparency:
    """`activities` and `stages` are keyed by station id; the city's are their sums."""
    activities, stages = activities or {}, stages or {}
    return Transparency(
        since=since,
        until=until,
        city=PublicFigures(
            received=city.received,
            accepted=city.accepted,
            closed=city.closed,
            rated=city.rated,
            completion_rate=city.completion_rate,
            satisfaction_rate=city.satisfaction_rate,
            activities=sum_activities(activities.values()),
            house_repair_stages=city_stages(stages),
        ),
        stations=[
            PublicStation(
                station_id=s.station_id,
                station_name=s.station_name,
                received=s.assigned,
                accepted=s.accepted,
                closed=s.closed,
                rated=s.rated,
                completion_rate=s.completion_rate,
                satisfaction_rate=s.satisfaction_rate,
                activities=activities.get(s.station_id, ActivityFigures()),
                house_repair_stages=every_stage(stages.get(s.station_id, {})),
            )
            for s in stations
        ],
    )
