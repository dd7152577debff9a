"""intake's own copy of the directory, kept from the compacted `directory` topic, so that
intake validates categories and shows representatives while routing is down.

The store holds the copy every replica shares; each replica answers from memory
(shared.mirror), so a submission's reference checks cost no store round trip."""

from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.events.directory_events import DirectoryKind, directory_subject
from shared.mirror import RevisionedMirror
from shared.mongo import Document

Entries = dict[str, dict[str, Document]]


class DirectoryCopy:
    def __init__(self, db: AsyncDatabase[Document], *, check_every_s: float = 1.0) -> None:
        self.collection: AsyncCollection[Document] = db["directory"]
        self._mirror: RevisionedMirror[Entries] = RevisionedMirror(
            revisions=db["revisions"],
            name="directory",
            load=self._read,
            check_every_s=check_every_s,
        )

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("kind", 1), ("key", 1)])

    async def apply(self, *, kind: DirectoryKind, key: str, entry: Document, at: datetime) -> bool:
        """Keep the newest state of an entry; an older or repeated event changes nothing."""
        try:
            result = await self.collection.update_one(
                # Missing or older, as one field condition: an `$or` would make the store scan.
                {"_id": directory_subject(kind, key), "at": {"$not": {"$gte": at}}},
                {"$set": {"kind": kind, "key": key, "entry": entry, "at": at}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False  # we already hold this state or a newer one
        changed = result.modified_count == 1 or result.upserted_id is not None
        if changed:
            await self._mirror.changed()
        return changed

    async def entries(self, kind: DirectoryKind) -> list[Document]:
        by_key = (await self._mirror.get()).get(kind, {})
        return [by_key[k] for k in sorted(by_key)]

    async def entry(self, kind: DirectoryKind, key: str) -> Document | None:
        return (await self._mirror.get()).get(kind, {}).get(key)

    async def knows(self, kind: DirectoryKind) -> bool:
        return bool((await self._mirror.get()).get(kind))

    async def _read(self) -> Entries:
        entries: Entries = {}
        async for document in self.collection.find({}, {"kind": 1, "key": 1, "entry": 1}):
            entries.setdefault(document["kind"], {})[document["key"]] = document["entry"]
        return entries
