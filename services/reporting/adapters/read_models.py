"""Counters in reporting's database, updated in batches and idempotent per event.

Each bucket document remembers the ids of the events it has counted (`seen.<id>`), in the
same document as the counts, so applying an event and recording it is one atomic write and a
redelivered event is a duplicate-key no-op.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from services.reporting.domain.counters import Bucket, CounterDelta
from shared.mongo import DUPLICATE_KEY, Document

BUCKETS: tuple[Bucket, ...] = ("station_daily", "city_daily")


def _seen(event_id: str) -> str:
    return "seen.e" + event_id.replace("-", "")


class ReadModels:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db["station_daily"].create_index([("station_id", 1), ("day", 1)])
        await self._db["city_daily"].create_index("day")

    async def drop(self) -> None:
        for bucket in BUCKETS:
            await self._db[bucket].drop()

    async def apply(self, changes: Sequence[tuple[str, CounterDelta]]) -> int:
        """Apply (event id, delta) pairs; returns how many were new."""
        applied = 0
        for bucket in BUCKETS:
            ops = [
                UpdateOne(
                    {"_id": delta.key, _seen(event_id): {"$exists": False}},
                    {
                        "$inc": {f"counts.{name}": n for name, n in delta.increments.items()},
                        "$set": {**delta.labels, _seen(event_id): True},
                    },
                    upsert=True,
                )
                for event_id, delta in changes
                if delta.bucket == bucket
            ]
            if not ops:
                continue
            try:
                result = await self._db[bucket].bulk_write(ops, ordered=False)
                applied += result.upserted_count + result.modified_count
            except BulkWriteError as exc:
                errors = exc.details.get("writeErrors", [])
                # An already-counted event makes the upsert collide with its bucket's _id.
                if any(err.get("code") != DUPLICATE_KEY for err in errors):
                    raise
                applied += exc.details.get("nUpserted", 0) + exc.details.get("nModified", 0)
        return applied

    async def station_buckets(self, *, since: date, until: date) -> list[Document]:
        return (
            await self._db["station_daily"]
            .find({"day": {"$gte": since.isoformat(), "$lte": until.isoformat()}}, {"seen": 0})
            .to_list()
        )

    async def city_buckets(self, *, since: date, until: date) -> list[Document]:
        return (
            await self._db["city_daily"]
            .find({"day": {"$gte": since.isoformat(), "$lte": until.isoformat()}}, {"seen": 0})
            .to_list()
        )
