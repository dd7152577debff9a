"""Which working calendar the open cases' deadlines were counted with, and which routing
replica is counting them again: one document in `sla_calendar`.

```text
{ "_id": "calendar", "fingerprint": "<WorkingCalendar.fingerprint()>", "applied_at": <time>,
  "changed": <cases whose deadlines moved>,
  "lease": { "by": "<replica token>", "until": <time> } }   # only while a replica recounts
```

Every write is one conditional single-document update on `_id`, so exactly one replica holds
the lease at a time and a crashed holder's lease simply runs out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.mongo import Document

_ID = "calendar"


class CalendarState:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = db["sla_calendar"]

    async def read(self) -> Document | None:
        return await self.collection.find_one({"_id": _ID})

    async def claim(self, *, token: str, now: datetime, lease_s: float) -> bool:
        """Take the lease if nobody holds it or its holder's ran out."""
        try:
            result = await self.collection.update_one(
                # One condition for "absent or expired" (`$not`), not an `$or`: the store would
                # read the collection for it (docs/operations.md, Query shapes).
                {"_id": _ID, "lease.until": {"$not": {"$gt": now}}},
                {"$set": {"lease": {"by": token, "until": now + timedelta(seconds=lease_s)}}},
                upsert=True,
            )
        except DuplicateKeyError:
            # The document exists and its lease is someone else's: the upsert tried to insert.
            return False
        return result.matched_count == 1 or result.upserted_id is not None

    async def renew(self, *, token: str, now: datetime, lease_s: float) -> bool:
        result = await self.collection.update_one(
            {"_id": _ID, "lease.by": token},
            {"$set": {"lease.until": now + timedelta(seconds=lease_s)}},
        )
        return result.matched_count == 1

    async def finish(self, *, token: str, fingerprint: str, changed: int, at: datetime) -> bool:
        """Record the calendar applied and give the lease up, if it is still this replica's."""
        result = await self.collection.update_one(
            {"_id": _ID, "lease.by": token},
            {
                "$set": {"fingerprint": fingerprint, "applied_at": at, "changed": changed},
                "$unset": {"lease": ""},
            },
        )
        return result.matched_count == 1

    async def release(self, *, token: str) -> None:
        await self.collection.update_one({"_id": _ID, "lease.by": token}, {"$unset": {"lease": ""}})
