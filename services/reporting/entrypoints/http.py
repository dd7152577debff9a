"""reporting's HTTP API: figures per station, representative, category, liaison point and the
city for a period, with filters and paging; time series; house-repair stages; meetings and
activities; CSV/XLSX exports; the public, PII-free transparency figures."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import BaseModel

from services.reporting import queries
from services.reporting.adapters.read_models import ReadModels
from services.reporting.domain.activities import (
    ActivityFigures,
    activities_by_station,
    sum_activities,
)
from services.reporting.domain.contributions import Dimension
from services.reporting.domain.exports import (
    STATION_COLUMNS,
    Transparency,
    export_filename,
    figure_rows,
    keyed_columns,
    to_csv,
    to_xlsx,
)
from services.reporting.domain.figures import Figures, Now, Totals, totals_by
from services.reporting.domain.house_repair import every_stage
from services.reporting.domain.kpis import Metric, Ranking, rank
from services.reporting.domain.periods import GroupBy, slice_of, slices
from services.reporting.domain.summaries import (
    CitySummary,
    KeyedSummary,
    Sentence,
    StationSummary,
    sentence,
    summarize_keys,
)

MAX_PERIOD_DAYS = 3660
MAX_SERIES_SLICES = 1000
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

KeyedKind = Literal["representatives", "categories", "points"]
KIND_DIMENSION: dict[KeyedKind, Dimension] = {
    "representatives": "representative",
    "categories": "category",
    "points": "point",
}


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
    """One page of representatives, categories or points, ordered by key."""

    period: Period
    station_id: str | None
    total: int
    limit: int
    offset: int
    items: list[KeyedSummary]


class SeriesPoint(Figures):
    """One slice; `open_now` and `overdue_now` are left at 0 (they have no history)."""

    since: date
    until: date


class SeriesReport(BaseModel):
    period: Period
    dimension: Dimension
    key: str | None
    station_id: str | None
    group_by: GroupBy
    points: list[SeriesPoint]


class HouseRepairStation(BaseModel):
    station_id: str
    station_name: str
    stages: dict[str, int]
    total: int


class HouseRepairReport(BaseModel):
    """House-repair cases per stage now (approved, not rejected or merged)."""

    city: dict[str, int]
    total: int
    stations: list[HouseRepairStation]


class ActivityStation(ActivityFigures):
    station_id: str
    station_name: str


class ActivitiesReport(BaseModel):
    period: Period
    city: ActivityFigures
    stations: list[ActivityStation]


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


def _invalid(field: str, message: str) -> HTTPException:
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        detail=[{"loc": ["query", field], "field": field, "msg": message, "type": "value_error"}],
    )


def _period(since: date | None, until: date | None) -> Period:
    today = datetime.now(UTC).date()
    until = until or today
    since = since or until - timedelta(days=365)
    if since > until:
        raise _invalid("since", "since must not be after until")
    if (until - since).days > MAX_PERIOD_DAYS:
        raise _invalid("since", f"period longer than {MAX_PERIOD_DAYS} days")
    return Period(since=since, until=until)


SinceQuery = Annotated[date | None, Query(description="First day (UTC), default until − 365 days.")]
UntilQuery = Annotated[date | None, Query(description="Last day (UTC), default today.")]
StationQuery = Annotated[
    str | None, Query(max_length=64, description="Only figures of events at this station.")
]
LimitQuery = Annotated[int, Query(ge=1, le=1000, description="Page size.")]
OffsetQuery = Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip.")]
MetricQuery = Annotated[Metric, Query(description="completion (办结率) or satisfaction (满意度).")]
MinSampleQuery = Annotated[
    int, Query(ge=1, le=1_000_000, description="Fewer accepted (or rated) cases: not ranked.")
]


def build_router(*, read_models: ReadModels) -> APIRouter:
    router = APIRouter(prefix="/v1/reports", tags=["reports"])

    async def names(dimension: Dimension) -> dict[str, str]:
        return await queries.names(read_models, dimension)

    async def station_summaries(period: Period) -> list[StationSummary]:
        stations = await queries.station_figures(
            read_models,
            since=period.since,
            until=period.until,
            station_names=await names("station"),
        )
        return stations.summaries

    async def city_summary(period: Period) -> CitySummary:
        return await queries.city_summary(read_models, since=period.since, until=period.until)

    async def keyed(kind: KeyedKind, period: Period, station_id: str | None) -> list[KeyedSummary]:
        dimension = KIND_DIMENSION[kind]
        buckets = await read_models.buckets(
            dimension, since=period.since, until=period.until, station_id=station_id
        )
        entries = await read_models.names(queries.DIRECTORY_KIND[dimension])
        return summarize_keys(
            buckets,
            now=await read_models.now_by(dimension, station_id=station_id),
            names=queries.display_names(entries),
            stations={k: str(d["station"]) for k, d in entries.items() if d.get("station")},
        )

    def attachment(
        content: bytes, media_type: str, period: Period, extension: str, kind: str
    ) -> Response:
        filename = export_filename(period.since, period.until, extension, kind)
        return Response(
            content=content,
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    @router.get("/stations", response_model=StationsReport, summary="Figures per station.")
    async def stations_report(since: SinceQuery = None, until: UntilQuery = None) -> StationsReport:
        period = _period(since, until)
        return StationsReport(period=period, stations=await station_summaries(period))

    @router.get("/city", response_model=CityReport, summary="City-wide figures.")
    async def city_report(since: SinceQuery = None, until: UntilQuery = None) -> CityReport:
        period = _period(since, until)
        return CityReport(period=period, city=await city_summary(period))

    def keyed_route(kind: KeyedKind, what: str) -> None:
        async def report(
            since: SinceQuery = None,
            until: UntilQuery = None,
            station_id: StationQuery = None,
            limit: LimitQuery = 100,
            offset: OffsetQuery = 0,
        ) -> KeyedReport:
            period = _period(since, until)
            items = await keyed(kind, period, station_id)
            return KeyedReport(
                period=period,
                station_id=station_id,
                total=len(items),
                limit=limit,
                offset=offset,
                items=items[offset : offset + limit],
            )

        router.add_api_route(
            f"/{kind}",
            report,
            methods=["GET"],
            response_model=KeyedReport,
            summary=f"Figures per {what}, a page at a time, optionally for one station.",
        )

        async def export_csv(
            since: SinceQuery = None, until: UntilQuery = None, station_id: StationQuery = None
        ) -> Response:
            period = _period(since, until)
            rows = figure_rows(
                await keyed(kind, period, station_id),
                columns=keyed_columns(kind),
                since=period.since,
                until=period.until,
            )
            content = await asyncio.to_thread(to_csv, rows)
            return attachment(content, CSV_MEDIA_TYPE, period, "csv", kind)

        async def export_xlsx(
            since: SinceQuery = None, until: UntilQuery = None, station_id: StationQuery = None
        ) -> Response:
            period = _period(since, until)
            rows = figure_rows(
                await keyed(kind, period, station_id),
                columns=keyed_columns(kind),
                since=period.since,
                until=period.until,
            )
            title = f"{period.since.isoformat()}~{period.until.isoformat()}"
            content = await asyncio.to_thread(to_xlsx, rows, title)
            return attachment(content, XLSX_MEDIA_TYPE, period, "xlsx", kind)

        router.add_api_route(
            f"/{kind}.csv",
            export_csv,
            methods=["GET"],
            response_class=Response,
            responses={200: {"content": {"text/csv": {}}}},
            summary=f"Figures per {what} as CSV (UTF-8 with BOM), every item, no paging.",
        )
        router.add_api_route(
            f"/{kind}.xlsx",
            export_xlsx,
            methods=["GET"],
            response_class=Response,
            responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}},
            summary=f"Figures per {what} as an Excel workbook, every item, no paging.",
        )

    keyed_route("representatives", "representative")
    keyed_route("categories", "category")
    keyed_route("points", "liaison point")

    @router.get(
        "/series",
        response_model=SeriesReport,
        summary="Figures per day, week or month over a period, for the city or one key.",
    )
    async def series(
        dimension: Annotated[Dimension, Query(description="Whose figures.")] = "city",
        key: Annotated[
            str | None,
            Query(max_length=64, description="Station id, representative code, category or point."),
        ] = None,
        station_id: StationQuery = None,
        group_by: Annotated[GroupBy, Query(description="Slice length.")] = "day",
        since: SinceQuery = None,
        until: UntilQuery = None,
    ) -> SeriesReport:
        period = _period(since, until)
        if dimension != "city" and key is None:
            raise _invalid("key", f"a {dimension} series needs a key")
        cut = slices(period.since, period.until, group_by)
        if len(cut) > MAX_SERIES_SLICES:
            raise _invalid("group_by", f"more than {MAX_SERIES_SLICES} slices; group by more")
        buckets = await read_models.buckets(
            dimension,
            since=period.since,
            until=period.until,
            station_id=None if dimension in ("city", "station") else station_id,
            keys=None if dimension == "city" else [key or ""],
        )
        for bucket in buckets:
            bucket["slice"] = slice_of(date.fromisoformat(str(bucket["day"])), group_by).isoformat()
        totals = totals_by(buckets, field_name="slice")
        points = []
        for start, end in cut:
            # An empty slice has the same shape as any other: every rating, zero.
            total = totals.get(slice_of(start, group_by).isoformat()) or Totals()
            points.append(SeriesPoint(since=start, until=end, **total.figures(Now())))
        return SeriesReport(
            period=period,
            dimension=dimension,
            key=key,
            station_id=station_id,
            group_by=group_by,
            points=points,
        )

    @router.get(
        "/house-repair",
        response_model=HouseRepairReport,
        summary="Dilapidated-house repair cases per stage now, per station and city-wide.",
    )
    async def house_repair(station_id: StationQuery = None) -> HouseRepairReport:
        stages = await read_models.stages_now(station_id=station_id)
        station_names = await names("station")
        stations = [
            HouseRepairStation(
                station_id=station,
                station_name=station_names.get(station, station),
                stages=every_stage(counts),
                total=sum(counts.values()),
            )
            for station, counts in sorted(stages.items())
        ]
        city = every_stage({s: sum(x.stages[s] for x in stations) for s in every_stage({})})
        return HouseRepairReport(city=city, total=sum(city.values()), stations=stations)

    @router.get(
        "/activities",
        response_model=ActivitiesReport,
        summary="Deliberation meetings and themed activities held, per station and city-wide.",
    )
    async def activities(
        since: SinceQuery = None, until: UntilQuery = None, station_id: StationQuery = None
    ) -> ActivitiesReport:
        period = _period(since, until)
        station_buckets = await read_models.buckets(
            "station", since=period.since, until=period.until, station_id=station_id
        )
        station_names = await names("station")
        held = {
            s: f
            for s, f in activities_by_station(station_buckets).items()
            if f.deliberation_meetings or f.themed_activities
        }
        return ActivitiesReport(
            period=period,
            city=sum_activities(held.values()),
            stations=[
                ActivityStation(
                    station_id=station,
                    station_name=station_names.get(station, station),
                    **figures.model_dump(),
                )
                for station, figures in held.items()
            ],
        )

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
        stations = [s.kpis() for s in await station_summaries(period)]
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
        city = await city_summary(period)
        stations = await station_summaries(period)
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
        rows = figure_rows(
            await station_summaries(period),
            columns=STATION_COLUMNS,
            since=period.since,
            until=period.until,
        )
        content = await asyncio.to_thread(to_csv, rows)
        return attachment(content, CSV_MEDIA_TYPE, period, "csv", "stations")

    @router.get(
        "/stations.xlsx",
        response_class=Response,
        responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}},
        summary="Figures per station as an Excel workbook, the numbers of /stations.",
    )
    async def stations_xlsx(since: SinceQuery = None, until: UntilQuery = None) -> Response:
        period = _period(since, until)
        rows = figure_rows(
            await station_summaries(period),
            columns=STATION_COLUMNS,
            since=period.since,
            until=period.until,
        )
        title = f"{period.since.isoformat()}~{period.until.isoformat()}"
        content = await asyncio.to_thread(to_xlsx, rows, title)
        return attachment(content, XLSX_MEDIA_TYPE, period, "xlsx", "stations")

    public = APIRouter(prefix="/v1/public", tags=["public"])

    @public.get(
        "/transparency",
        response_model=Transparency,
        summary="Public figures: received, accepted, closed, rates, activities, house-repair "
        "stages; no case text, no people.",
    )
    async def public_transparency(
        response: Response, since: SinceQuery = None, until: UntilQuery = None
    ) -> Transparency:
        period = _period(since, until)
        figures, _ = await queries.public_figures(
            read_models,
            since=period.since,
            until=period.until,
            station_names=await names("station"),
        )
        response.headers["Cache-Control"] = "public, max-age=300"
        return figures

    combined = APIRouter()
    combined.include_router(router)
    combined.include_router(public)
    return combined
