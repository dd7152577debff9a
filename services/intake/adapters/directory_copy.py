"""intake's own copy of the directory, kept from the compacted `directory` topic, so that
intake validates categories and shows representatives while routing is down."""

from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.events.directory_events import DirectoryKind, directory_subject
from shared.mongo import Document


class DirectoryCopy:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = db["directory"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("kind", 1), ("key", 1)])

    async def apply(self, *, kind: DirectoryKind, key: str, entry: Document, at: datetime) -> bool:
        """Keep the newest state of an entry; an older or repeated event changes nothing."""
        try:
            result = await self.collection.update_one(
                {
                    "_id": directory_subject(kind, key),
                    "$or": [{"at": {"$lt": at}}, {"at": {"$exists": False}}],
                },
                {"$set": {"kind": kind, "key": key, "entry": entry, "at": at}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False  # we already hold this state or a newer one
        return result.modified_count == 1 or result.upserted_id is not None

    async def entries(self, kind: DirectoryKind) -> list[Document]:
        documents = await self.collection.find({"kind": kind}).sort("key", 1).to_list()
        return [d["entry"] for d in documents]

    async def entry(self, kind: DirectoryKind, key: str) -> Document | None:
        document = await self.collection.find_one({"_id": directory_subject(kind, key)})
        return document["entry"] if document else None

    async def knows(self, kind: DirectoryKind) -> bool:
        return await self.collection.count_documents({"kind": kind}, limit=1) > 0
