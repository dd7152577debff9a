"""Export rows: exactly the numbers of `/stations` (or `/representatives`, `/categories`,
`/points`) for the same period and filters, every item, no paging."""

from __future__ import annotations

from datetime import date

from services.reporting.adapters.read_models import ReadModels
from services.reporting.domain.exports import ExportKind, Row, columns_of, figure_rows
from services.reporting.domain.summaries import KIND_DIMENSION, KeyedSummary, StationSummary
from services.reporting.handlers.reports.figures import keyed_summaries, station_summaries


async def export_rows(
    read_models: ReadModels,
    *,
    kind: ExportKind,
    since: date,
    until: date,
    station_id: str | None = None,
) -> list[Row]:
    """The header, then a row per item; `station_id` filters a keyed export (not stations)."""
    items: list[StationSummary] | list[KeyedSummary]
    if kind == "stations":
        items = await station_summaries(read_models, since=since, until=until)
    else:
        items = await keyed_summaries(
            read_models,
            dimension=KIND_DIMENSION[kind],
            since=since,
            until=until,
            station_id=station_id,
        )
    return figure_rows(items, columns=columns_of(kind), since=since, until=until)
