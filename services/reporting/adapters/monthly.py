"""reporting's roll-ups (domain/rollups.py) of months and of their weeks: built from the daily
buckets (station_days.py) when a report first needs a span, and rebuilt when the span's buckets
changed since.

| collection | one document per | holds |
| --- | --- | --- |
| `monthly` | dimension, station, key and span | the span's sums (`month` names the span) |
| `month_changes` | span | `n`: how often its daily buckets were written |
| `month_built` | dimension and span | `n` as it was when its roll-ups were built |

A writer counts the change of a day's month and week after writing the buckets, and a builder
reads the count before reading them and stamps its roll-ups with it (`n`, also in their `_id`):
a roll-up built from buckets that changed meanwhile carries a count already behind, so reports
ignore it and the next one builds the span again. Two builders of one span never remove each
other's newer rows (a builder removes only rows stamped lower than its own). At worst a build is
repeated. A week is counted apart from its month, so that the weeks of the current month that
have ended stay valid while today's events are counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from services.reporting.adapters import station_days
from services.reporting.domain.contributions import Dimension
from services.reporting.domain.rollups import roll_up, span_bounds
from shared.logging import get_logger
from shared.mongo import Document, is_duplicate_key

log = get_logger(__name__)

COLLECTIONS = ("monthly", "month_changes", "month_built")


class MonthlyRollups:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db["monthly"].create_index([("dimension", 1), ("month", 1)])

    async def changed(self, spans: Iterable[str]) -> None:
        """After writing daily buckets of these spans (their months and weeks)."""
        ops = [UpdateOne({"_id": span}, {"$inc": {"n": 1}}, upsert=True) for span in sorted(spans)]
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
        changes = {
            str(d["_id"]): int(d["n"])
            async for d in self._db["month_changes"].find({"_id": {"$in": spans}})
        }
        built = {
            str(d["_id"]): int(d["n"])
            async for d in self._db["month_built"].find(
                {"_id": {"$in": [f"{dimension}|{span}" for span in spans]}}
            )
        }
        for span in spans:
            if built.get(f"{dimension}|{span}") != changes.get(span, 0):
                await self._build(dimension, span, changes=changes.get(span, 0))
        query: dict[str, Any] = {"dimension": dimension, "month": {"$in": spans}}
        if station_id is not None:
            query["station_id"] = station_id
        if keys is not None:
            query["key"] = keys[0] if len(keys) == 1 else {"$in": keys}
        rows = await self._db["monthly"].find(query).to_list()
        return [row for row in rows if row.get("n") == changes.get(str(row["month"]), 0)]

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
