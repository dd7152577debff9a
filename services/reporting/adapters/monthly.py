"""reporting's monthly roll-ups (domain/rollups.py): built from the daily buckets
(station_days.py) when a report first needs a month, and rebuilt when the month's buckets
changed since.

| collection | one document per | holds |
| --- | --- | --- |
| `monthly` | dimension, station, key and month | the month's sums |
| `month_changes` | month | `n`: how often its daily buckets were written |
| `month_built` | dimension and month | `n` as it was when its roll-ups were built |

A writer counts the change after writing the buckets, and a builder reads the count before
reading them and stamps its roll-ups with it (`n`, also in their `_id`): a roll-up built from
buckets that changed meanwhile carries a count already behind, so reports ignore it and the next
one builds the month again. Two builders of one month never remove each other's newer rows (a
builder removes only rows stamped lower than its own). At worst a build is repeated.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from services.reporting.adapters import station_days
from services.reporting.domain.contributions import Dimension
from services.reporting.domain.rollups import month_bounds, roll_up
from shared.logging import get_logger
from shared.mongo import Document, is_duplicate_key

log = get_logger(__name__)

COLLECTIONS = ("monthly", "month_changes", "month_built")


class MonthlyRollups:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db["monthly"].create_index([("dimension", 1), ("month", 1)])

    async def changed(self, months: Iterable[str]) -> None:
        """After writing daily buckets of these months."""
        ops = [
            UpdateOne({"_id": month}, {"$inc": {"n": 1}}, upsert=True) for month in sorted(months)
        ]
        if ops:
            await self._db["month_changes"].bulk_write(ops, ordered=False)

    async def read(
        self,
        dimension: Dimension,
        months: list[str],
        *,
        station_id: str | None,
        keys: list[str] | None,
    ) -> list[Document]:
        """The roll-ups of these months (built first where missing or behind), filtered."""
        if not months:
            return []
        changes = {
            str(d["_id"]): int(d["n"])
            async for d in self._db["month_changes"].find({"_id": {"$in": months}})
        }
        built = {
            str(d["_id"]): int(d["n"])
            async for d in self._db["month_built"].find(
                {"_id": {"$in": [f"{dimension}|{m}" for m in months]}}
            )
        }
        for month in months:
            if built.get(f"{dimension}|{month}") != changes.get(month, 0):
                await self._build(dimension, month, changes=changes.get(month, 0))
        query: dict[str, Any] = {"dimension": dimension, "month": {"$in": months}}
        if station_id is not None:
            query["station_id"] = station_id
        if keys is not None:
            query["key"] = keys[0] if len(keys) == 1 else {"$in": keys}
        rows = await self._db["monthly"].find(query).to_list()
        return [row for row in rows if row.get("n") == changes.get(str(row["month"]), 0)]

    async def _build(self, dimension: Dimension, month: str, *, changes: int) -> None:
        first, last = month_bounds(month)
        buckets = await station_days.read(
            self._db,
            dimension,
            first,
            last,
            station_ids=[station_days.CITY_STATION] if dimension == "city" else None,
        )
        rolled = [
            {**row, "_id": f"{row['_id']}|{changes}", "n": changes}
            for row in roll_up(buckets, month=month)
        ]
        monthly = self._db["monthly"]
        await monthly.delete_many({"dimension": dimension, "month": month, "n": {"$lt": changes}})
        if rolled:
            try:
                await monthly.insert_many(rolled, ordered=False)
            except BulkWriteError as exc:
                # Another report built the same month from the same buckets at the same time.
                if not is_duplicate_key(exc):
                    raise
        await self._db["month_built"].update_one(
            {"_id": f"{dimension}|{month}"}, {"$max": {"n": changes}}, upsert=True
        )
        log.info("reporting.month_rolled_up", dimension=dimension, month=month, rows=len(rolled))
