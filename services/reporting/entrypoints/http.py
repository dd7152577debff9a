"""reporting's HTTP API: figures per station and city-wide, for a period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel

from services.reporting.adapters.read_models import ReadModels
from services.reporting.domain.summaries import (
    CitySummary,
    StationSummary,
    summarize_city,
    summarize_stations,
)

MAX_PERIOD_DAYS = 3660


class Period(BaseModel):
    since: date
    until: date


class StationsReport(BaseModel):
    period: Period
    stations: list[StationSummary]


class CityReport(BaseModel):
    period: Period
    city: CitySummary


def _period(since: date | None, until: date | None) -> Period:
    today = datetime.now(UTC).date()
    until = until or today
    since = since or until - timedelta(days=365)
    if since > until:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[
                {
                    "loc": ["query", "since"],
                    "field": "since",
                    "msg": "since must not be after until",
                    "type": "value_error",
                }
            ],
        )
    if (until - since).days > MAX_PERIOD_DAYS:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[
                {
                    "loc": ["query", "since"],
                    "field": "since",
                    "msg": f"period longer than {MAX_PERIOD_DAYS} days",
                    "type": "value_error",
                }
            ],
        )
    return Period(since=since, until=until)


SinceQuery = Annotated[date | None, Query(description="First day (UTC), default until − 365 days.")]
UntilQuery = Annotated[date | None, Query(description="Last day (UTC), default today.")]


def build_router(*, read_models: ReadModels) -> APIRouter:
    router = APIRouter(prefix="/v1/reports", tags=["reports"])

    @router.get("/stations", response_model=StationsReport, summary="Figures per station.")
    async def stations_report(since: SinceQuery = None, until: UntilQuery = None) -> StationsReport:
        period = _period(since, until)
        buckets = await read_models.station_buckets(since=period.since, until=period.until)
        return StationsReport(period=period, stations=summarize_stations(buckets))

    @router.get("/city", response_model=CityReport, summary="City-wide figures.")
    async def city_report(since: SinceQuery = None, until: UntilQuery = None) -> CityReport:
        period = _period(since, until)
        buckets = await read_models.city_buckets(since=period.since, until=period.until)
        return CityReport(period=period, city=summarize_city(buckets))

    return router
