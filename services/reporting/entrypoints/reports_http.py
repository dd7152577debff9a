"""reporting's JSON API: figures per station, representative, category, liaison point and the
city for a period, with filters and paging; time series; house-repair stages; meetings and
activities; rankings and headlines. Each route parses its parameters, asks the read side
(`handlers/reports`) and serialises the answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Query

from services.reporting.domain.contributions import Dimension
from services.reporting.domain.kpis import DEFAULT_MIN_SAMPLE
from services.reporting.domain.periods import GroupBy
from services.reporting.domain.summaries import (
    KIND_DIMENSION,
    KeyedKind,
    KeyedOrder,
    find_keyed,
)
from services.reporting.entrypoints.deps import ReadModelsDep, ScopedStation, figures_router
from services.reporting.entrypoints.filters import (
    LimitQuery,
    MetricQuery,
    MinSampleQuery,
    OffsetQuery,
    SinceQuery,
    UntilQuery,
    parse_period,
)
from services.reporting.entrypoints.schemas import (
    ActivitiesReport,
    CityHeadline,
    CityReport,
    HouseRepairReport,
    KeyedReport,
    RankingReport,
    SeriesReport,
    StationHeadline,
    StationsReport,
    SummaryReport,
)
from services.reporting.handlers.reports import figures

router = figures_router()

KEYED: tuple[tuple[KeyedKind, str], ...] = (
    ("representatives", "representative"),
    ("categories", "category"),
    ("points", "liaison point"),
)


@router.get("/stations", response_model=StationsReport, summary="Figures per station.")
async def stations_report(
    read_models: ReadModelsDep, since: SinceQuery = None, until: UntilQuery = None
) -> StationsReport:
    period = parse_period(since, until, today=read_models.today())
    stations = await figures.station_summaries(read_models, since=period.since, until=period.until)
    return StationsReport(period=period, stations=stations)


@router.get("/city", response_model=CityReport, summary="City-wide figures.")
async def city_report(
    read_models: ReadModelsDep, since: SinceQuery = None, until: UntilQuery = None
) -> CityReport:
    period = parse_period(since, until, today=read_models.today())
    city = await figures.city_summary(read_models, since=period.since, until=period.until)
    return CityReport(period=period, city=city)


def _keyed_report(kind: KeyedKind) -> Callable[..., Awaitable[KeyedReport]]:
    async def report(
        read_models: ReadModelsDep,
        station_id: ScopedStation,
        since: SinceQuery = None,
        until: UntilQuery = None,
        limit: LimitQuery = 100,
        offset: OffsetQuery = 0,
        text: Annotated[
            str | None,
            Query(
                alias="q",
                max_length=64,
                description="Only keys starting with it or names holding it (a code or a name).",
            ),
        ] = None,
        order: Annotated[
            KeyedOrder,
            Query(description="`key`, or `received`: most received first (a top N)."),
        ] = "key",
    ) -> KeyedReport:
        period = parse_period(since, until, today=read_models.today())
        summaries = await figures.keyed_summaries(
            read_models,
            dimension=KIND_DIMENSION[kind],
            since=period.since,
            until=period.until,
            station_id=station_id,
        )
        items = find_keyed(summaries, text=text, order=order)
        return KeyedReport(
            period=period,
            station_id=station_id,
            total=len(items),
            limit=limit,
            offset=offset,
            items=items[offset : offset + limit],
        )

    return report


for _kind, _what in KEYED:
    router.add_api_route(
        f"/{_kind}",
        _keyed_report(_kind),
        name="report",
        methods=["GET"],
        response_model=KeyedReport,
        summary=f"Figures per {_what}, a page at a time, optionally for one station.",
    )


@router.get(
    "/series",
    response_model=SeriesReport,
    summary="Figures per day, week or month over a period, for the city or one key.",
)
async def series(
    read_models: ReadModelsDep,
    station_id: ScopedStation,
    dimension: Annotated[Dimension, Query(description="Whose figures.")] = "city",
    key: Annotated[
        str | None,
        Query(max_length=64, description="Station id, representative code, category or point."),
    ] = None,
    group_by: Annotated[GroupBy, Query(description="Slice length.")] = "day",
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> SeriesReport:
    period = parse_period(since, until, today=read_models.today())
    points = await figures.series(
        read_models,
        dimension=dimension,
        key=key,
        station_id=station_id,
        group_by=group_by,
        since=period.since,
        until=period.until,
    )
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
    summary="Dilapidated houses per stage now, per station (with households' consent) and "
    "city-wide.",
)
async def house_repair(read_models: ReadModelsDep, station_id: ScopedStation) -> HouseRepairReport:
    found = await figures.house_repair(read_models, station_id=station_id)
    return HouseRepairReport(
        city=found.city, total=sum(found.city.values()), stations=found.stations
    )


@router.get(
    "/activities",
    response_model=ActivitiesReport,
    summary="Deliberation meetings and themed activities held, per station and city-wide.",
)
async def activities(
    read_models: ReadModelsDep,
    station_id: ScopedStation,
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> ActivitiesReport:
    period = parse_period(since, until, today=read_models.today())
    held = await figures.activities(
        read_models, since=period.since, until=period.until, station_id=station_id
    )
    return ActivitiesReport(period=period, city=held.city, stations=held.stations)


@router.get(
    "/rankings",
    response_model=RankingReport,
    summary="Stations ranked by the lower bound of a rate's 95% Wilson interval.",
)
async def rankings(
    read_models: ReadModelsDep,
    metric: MetricQuery = "completion",
    min_sample: MinSampleQuery = DEFAULT_MIN_SAMPLE,
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> RankingReport:
    period = parse_period(since, until, today=read_models.today())
    ranking = await figures.station_ranking(
        read_models, metric=metric, min_sample=min_sample, since=period.since, until=period.until
    )
    return RankingReport(period=period, ranking=ranking)


@router.get(
    "/summary",
    response_model=SummaryReport,
    summary="Accepted, completion and satisfaction since a day, city-wide and per station.",
)
async def summary(
    read_models: ReadModelsDep, since: SinceQuery = None, until: UntilQuery = None
) -> SummaryReport:
    period = parse_period(since, until, today=read_models.today())
    found = await figures.summary(read_models, since=period.since, until=period.until)
    return SummaryReport(
        period=period,
        city=CityHeadline.of(found.city, since=period.since),
        stations=[StationHeadline.of(s, since=period.since) for s in found.stations],
    )
