"""reporting's roll-ups (domain/rollups.py) of months, weeks and days: built from the daily
buckets (station_days.py) when a report first needs a span, and rebuilt when the span's buckets
changed since.

| collection | one document per | holds |
| --- | --- | --- |
| `monthly` | dimension, station, key and span | the span's sums (`month` names the span) |
| `month_changes` | span | `n`: how often its daily buckets were written |
| `month_built` | dimension and span | `n` as it was when its roll-ups were built |

A writer counts the change of a day's month, week and the day itself after writing the
buckets, and a builder reads the count before reading them and stamps its roll-ups with it (`n`,
also in their `_id`): a roll-up built from buckets that changed meanwhile carries a count
already behind, so reports ignore it and the next one builds the span again. Two builders of
one span never remove each other's newer rows (a builder removes only rows stamped lower than
its own). At worst a build is repeated. A week and a day are counted apart from their month, so
that the current month's weeks and days that have ended stay valid while today's events are
counted.

A process keeps the rows it read per (dimension, span), and per period their combination (one
row per station and key), each with the counts it was read at, and reuses them while the counts
in the store have not moved.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from services.reporting.adapters import station_days
from services.reporting.domain.contributions import Dimension
from services.reporting.domain.rollups import combine, roll_up, span_bounds
from shared.logging import get_logger
from shared.mongo import Document, is_duplicate_key

log = get_logger(__name__)

COLLECTIONS = ("monthly", "month_changes", "month_built")


# (dimension, span) row sets this process keeps, most recently read last. A year's report of
# one dimension needs about 22 spans; every dimension's, about 110.
SPANS_KEPT = 1024

# Periods (dimension and spans) whose rows this process keeps combined, one row per key.
PERIODS_KEPT = 32

# A span's count of bucket writes, and the epoch of its count document.
Stamp = tuple[int, str | None]


class MonthlyRollups:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._db = db
        # Every roll-up row of a (dimension, span) as stamped with its count: the store's own
        # rows for that count, reused while the span's count has not moved. With 100,000 cases
        # stored, reading a year's rows took 10–11 ms of the store's time per report.
        self._kept: OrderedDict[tuple[str, str], tuple[Stamp, list[Document]]] = OrderedDict()
        # A period's rows of every span combined (domain `combine`), while no span's count has
        # moved: a year is 20–50 spans, and summing every span's rows per report was most of
        # a report's time once its rows were kept.
        self._combined: OrderedDict[
            tuple[str, tuple[str, ...]], tuple[tuple[Stamp, ...], list[Document]]
        ] = OrderedDict()

    async def ensure_indexes(self) -> None:
        await self._db["monthly"].create_index([("dimension", 1), ("month", 1)])

    async def changed(self, spans: Iterable[str]) -> None:
        """After writing daily buckets of these spans (their months, weeks and days)."""
        # A count made anew (its collection dropped by a rebuild) gets a new epoch, so rows kept
        # from before the rebuild never match a count that has climbed back to their number.
        ops = [
            UpdateOne(
                {"_id": span},
                {"$inc": {"n": 1}, "$setOnInsert": {"epoch": uuid.uuid4().hex}},
                upsert=True,
            )
            for span in sorted(spans)
        ]
        if ops:
            await self._db["month_changes"].bulk_write(ops, ordered=False)

    async def read(
        self,
        dimension: Dimension,
        spans: list[str],
        *,
        station_id: str | None,
        keys: list[str] | None,
    ) -> list[Document]:
        """The roll-ups of these spans (built first where missing or behind), filtered."""
        if not spans:
            return []
        found = {
            str(d["_id"]): (int(d["n"]), d.get("epoch"))
            async for d in self._db["month_changes"].find({"_id": {"$in": spans}})
        }
        stamps: dict[str, Stamp] = {span: found.get(span, (0, None)) for span in spans}
        period = (dimension, tuple(spans))
        stamped = tuple(stamps[span] for span in spans)
        combined = self._combined.get(period)
        if combined is not None and combined[0] == stamped:
            self._combined.move_to_end(period)
            return [r for r in combined[1] if _wanted(r, station_id=station_id, keys=keys)]
        rows: list[Document] = []
        missing: list[str] = []
        for span in spans:
            kept = self._kept.get((dimension, span))
            if kept is not None and kept[0] == stamps[span]:
                self._kept.move_to_end((dimension, span))
                rows.extend(r for r in kept[1] if _wanted(r, station_id=station_id, keys=keys))
            else:
                missing.append(span)
        if missing:
            rows.extend(await self._read(dimension, missing, stamps, station_id, keys))
        if station_id is None and keys is None:
            self._combined[period] = (stamped, combine(rows))
            while len(self._combined) > PERIODS_KEPT:
                self._combined.popitem(last=False)
        return rows

    async def _read(
        self,
        dimension: Dimension,
        spans: list[str],
        stamps: Mapping[str, Stamp],
        station_id: str | None,
        keys: list[str] | None,
    ) -> list[Document]:
        changes = {span: stamps[span][0] for span in spans}
        built = {
            str(d["_id"]): int(d["n"])
            async for d in self._db["month_built"].find(
                {"_id": {"$in": [f"{dimension}|{span}" for span in spans]}}
            )
        }
        for span in spans:
            if built.get(f"{dimension}|{span}") != changes[span]:
                await self._build(dimension, span, changes=changes[span])
        query: dict[str, Any] = {"dimension": dimension, "month": {"$in": spans}}
        if station_id is not None:
            query["station_id"] = station_id
        if keys is not None:
            query["key"] = keys[0] if len(keys) == 1 else {"$in": keys}
        rows = [
            row
            for row in await self._db["monthly"].find(query).to_list()
            if row.get("n") == changes[str(row["month"])]
        ]
        if station_id is None and keys is None:
            # Whole row sets only: a filtered read holds part of a span's rows.
            by_span: dict[str, list[Document]] = {span: [] for span in spans}
            for row in rows:
                by_span[str(row["month"])].append(row)
            for span, held in by_span.items():
                self._kept[(dimension, span)] = (stamps[span], held)
                self._kept.move_to_end((dimension, span))
            while len(self._kept) > SPANS_KEPT:
                self._kept.popitem(last=False)
        return rows

    async def _build(self, dimension: Dimension, span: str, *, changes: int) -> None:
        first, last = span_bounds(span)
        buckets = await station_days.read(
            self._db,
            dimension,
            first,
            last,
            station_ids=[station_days.CITY_STATION] if dimension == "city" else None,
        )
        rolled = [
            {**row, "_id": f"{row['_id']}|{changes}", "n": changes}
            for row in roll_up(buckets, span=span)
        ]
        monthly = self._db["monthly"]
        await monthly.delete_many({"dimension": dimension, "month": span, "n": {"$lt": changes}})
        if rolled:
            try:
                await monthly.insert_many(rolled, ordered=False)
            except BulkWriteError as exc:
                # Another report built the same span from the same buckets at the same time.
                if not is_duplicate_key(exc):
                    raise
        await self._db["month_built"].update_one(
            {"_id": f"{dimension}|{span}"}, {"$max": {"n": changes}}, upsert=True
        )
        log.info("reporting.span_rolled_up", dimension=dimension, span=span, rows=len(rolled))


def _wanted(row: Mapping[str, Any], *, station_id: str | None, keys: list[str] | None) -> bool:
    if station_id is not None and row.get("station_id") != station_id:
        return False
    return keys is None or row.get("key") in keys
