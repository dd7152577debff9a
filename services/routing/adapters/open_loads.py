"""Each representative's open load as a counter, moved with the case writes.

Not in the same write as the case (no multi-document transactions), so a crash between the two
can leave a counter off by the cases of that moment; `recount` sets every counter from the
cases themselves (served by the status index, so its cost follows the open cases, not all of
them), and routing runs it at start and on a timer. The load only ranks equally eligible
representatives, so a short-lived miscount changes who gets a case, never whether one is
routed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.routing.domain.workflow import OPEN
from shared.mongo import Document, find_in


class OpenLoads:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = db["open_loads"]
        self._cases: AsyncCollection[Document] = db["cases"]

    async def ensure_indexes(self) -> None:
        await self._cases.create_index("status")

    async def of(self, codes: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(codes))
        if not wanted:
            return {}
        found = await find_in(self.collection, "_id", wanted)
        return {str(d["_id"]): max(int(d.get("n", 0)), 0) for d in found}

    async def shift(self, shifts: Mapping[str, int]) -> None:
        ops = [
            UpdateOne({"_id": code}, {"$inc": {"n": n}}, upsert=True)
            for code, n in sorted(shifts.items())
            if n
        ]
        if ops:
            await self.collection.bulk_write(ops, ordered=False)

    async def recount(self) -> int:
        """Set every counter from the open cases; returns how many representatives hold one."""
        counted: dict[str, int] = {}
        pipeline: list[Document] = [
            {"$match": {"status": {"$in": sorted(OPEN)}}},
            {"$group": {"_id": "$representative_code", "n": {"$sum": 1}}},
        ]
        async for row in await self._cases.aggregate(pipeline):
            if row["_id"] is not None:
                counted[str(row["_id"])] = int(row["n"])
        stale = await self.collection.find(
            {"_id": {"$nin": list(counted)}, "n": {"$ne": 0}}, {"_id": 1}
        ).to_list()
        ops = [UpdateOne({"_id": c}, {"$set": {"n": n}}, upsert=True) for c, n in counted.items()]
        ops += [UpdateOne({"_id": d["_id"]}, {"$set": {"n": 0}}) for d in stale]
        if ops:
            await self.collection.bulk_write(ops, ordered=False)
        return len(counted)
