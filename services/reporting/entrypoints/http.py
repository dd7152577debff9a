"""reporting's HTTP API: figures per station and city-wide, for a period; CSV/XLSX exports;
the public, PII-free transparency figures."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import BaseModel

from services.reporting.adapters.read_models import ReadModels
from services.reporting.domain.exports import (
    Transparency,
    export_filename,
    station_rows,
    to_csv,
    to_xlsx,
    transparency,
)
from services.reporting.domain.kpis import Metric, Ranking, rank
from services.reporting.domain.summaries import (
    CitySummary,
    Sentence,
    StationSummary,
    sentence,
    summarize_city,
    summarize_stations,
)

MAX_PERIOD_DAYS = 3660
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Period(BaseModel):
    since: date
    until: date


class StationsReport(BaseModel):
    period: Period
    stations: list[StationSummary]


class CityReport(BaseModel):
    period: Period
    city: CitySummary


class RankingReport(BaseModel):
    period: Period
    ranking: Ranking


class StationHeadline(BaseModel):
    station_id: str
    station_name: str
    accepted: int
    closed: int
    rated: int
    completion_rate: float | None
    satisfaction_rate: float | None
    sentence: Sentence


class CityHeadline(BaseModel):
    accepted: int
    closed: int
    rated: int
    completion_rate: float | None
    satisfaction_rate: float | None
    sentence: Sentence


class SummaryReport(BaseModel):
    """The sentences a reporter would quote, with the numbers behind them."""

    period: Period
    city: CityHeadline
    stations: list[StationHeadline]


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
MetricQuery = Annotated[Metric, Query(description="completion (办结率) or satisfaction (满意度).")]
MinSampleQuery = Annotated[
    int, Query(ge=1, le=1_000_000, description="Fewer accepted (or rated) cases: not ranked.")
]


def build_router(*, read_models: ReadModels) -> APIRouter:
    router = APIRouter(prefix="/v1/reports", tags=["reports"])

    async def station_summaries(period: Period) -> list[StationSummary]:
        buckets = await read_models.station_buckets(since=period.since, until=period.until)
        return summarize_stations(buckets)

    def attachment(content: bytes, media_type: str, period: Period, extension: str) -> Response:
        filename = export_filename(period.since, period.until, extension)
        return Response(
            content=content,
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

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

    @router.get(
        "/rankings",
        response_model=RankingReport,
        summary="Stations ranked by the lower bound of a rate's 95% Wilson interval.",
    )
    async def rankings(
        metric: MetricQuery = "completion",
        min_sample: MinSampleQuery = 20,
        since: SinceQuery = None,
        until: UntilQuery = None,
    ) -> RankingReport:
        period = _period(since, until)
        buckets = await read_models.station_buckets(since=period.since, until=period.until)
        stations = [s.kpis() for s in summarize_stations(buckets)]
        return RankingReport(
            period=period, ranking=rank(stations, metric=metric, min_sample=min_sample)
        )

    @router.get(
        "/summary",
        response_model=SummaryReport,
        summary="Accepted, completion and satisfaction since a day, city-wide and per station.",
    )
    async def summary(since: SinceQuery = None, until: UntilQuery = None) -> SummaryReport:
        period = _period(since, until)
        city = summarize_city(
            await read_models.city_buckets(since=period.since, until=period.until)
        )
        stations = summarize_stations(
            await read_models.station_buckets(since=period.since, until=period.until)
        )
        return SummaryReport(
            period=period,
            city=CityHeadline(
                accepted=city.accepted,
                closed=city.closed,
                rated=city.rated,
                completion_rate=city.completion_rate.rate,
                satisfaction_rate=city.satisfaction_rate.rate,
                sentence=sentence(city, since=period.since),
            ),
            stations=[
                StationHeadline(
                    station_id=s.station_id,
                    station_name=s.station_name,
                    accepted=s.accepted,
                    closed=s.closed,
                    rated=s.rated,
                    completion_rate=s.completion_rate.rate,
                    satisfaction_rate=s.satisfaction_rate.rate,
                    sentence=sentence(s, since=period.since),
                )
                for s in stations
            ],
        )

    @router.get(
        "/stations.csv",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}}},
        summary="Figures per station as CSV (UTF-8 with BOM), the numbers of /stations.",
    )
    async def stations_csv(since: SinceQuery = None, until: UntilQuery = None) -> Response:
        period = _period(since, until)
        rows = station_rows(await station_summaries(period), since=period.since, until=period.until)
        return attachment(await asyncio.to_thread(to_csv, rows), CSV_MEDIA_TYPE, period, "csv")

    @router.get(
        "/stations.xlsx",
        response_class=Response,
        responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}},
        summary="Figures per station as an Excel workbook, the numbers of /stations.",
    )
    async def stations_xlsx(since: SinceQuery = None, until: UntilQuery = None) -> Response:
        period = _period(since, until)
        rows = station_rows(await station_summaries(period), since=period.since, until=period.until)
        title = f"{period.since.isoformat()}~{period.until.isoformat()}"
        content = await asyncio.to_thread(to_xlsx, rows, title)
        return attachment(content, XLSX_MEDIA_TYPE, period, "xlsx")

    public = APIRouter(prefix="/v1/public", tags=["public"])

    @public.get(
        "/transparency",
        response_model=Transparency,
        summary="Public figures: received, accepted, closed and rates; no case text, no people.",
    )
    async def public_transparency(
        response: Response, since: SinceQuery = None, until: UntilQuery = None
    ) -> Transparency:
        period = _period(since, until)
        city = summarize_city(
            await read_models.city_buckets(since=period.since, until=period.until)
        )
        response.headers["Cache-Control"] = "public, max-age=300"
        return transparency(
            city, await station_summaries(period), since=period.since, until=period.until
        )

    combined = APIRouter()
    combined.include_router(router)
    combined.include_router(public)
    return combined
