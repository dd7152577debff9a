"""Each recipient's preferences, one document per recipient; absent means none were set."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.notify.domain.preferences import Preferences
from shared.mongo import Document, find_in


class PreferencesRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = db["preferences"]

    async def get(self, recipient: str) -> Preferences | None:
        found = await self.collection.find_one({"_id": recipient})
        return _parse(found) if found else None

    async def stored_for(self, recipients: Iterable[str]) -> dict[str, Preferences]:
        """The preferences of those of these recipients who set some (the rest have none)."""
        wanted = list(dict.fromkeys(recipients))
        if not wanted:
            return {}
        found = await find_in(self.collection, "_id", wanted)
        return {d["_id"]: _parse(d) for d in found}

    async def put(self, recipient: str, preferences: Preferences, *, by: str, at: datetime) -> None:
        await self.collection.update_one(
            {"_id": recipient},
            {
                "$set": {
                    "preferences": preferences.model_dump(mode="json"),
                    "updated_by": by,
                    "updated_at": at,
                }
            },
            upsert=True,
        )


def _parse(document: Document) -> Preferences:
    return Preferences.model_validate(document["preferences"])
