"""intake's own copy of the directory, kept from the compacted `directory` topic, so that
intake validates categories and shows representatives while routing is down.

The store holds the copy every replica shares; each replica answers from memory
(shared.mirror), so a submission's reference checks cost no store round trip."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from shared.events.directory_events import DirectoryKind, directory_subject
from shared.mirror import RevisionedMirror
from shared.mongo import Document, find_in, insert_new

Entries = dict[str, dict[str, Document]]
# (kind, key, entry, when it changed)
Change = tuple[DirectoryKind, str, Document, datetime]


def _document(
    subject: str, kind: DirectoryKind, key: str, entry: Document, at: datetime
) -> Document:
    return {"_id": subject, "kind": kind, "key": key, "entry": entry, "at": at}


def _older(stored: datetime, at: datetime) -> bool:
    # The store may hand back a naive UTC datetime; compare like with like.
    if stored.tzinfo is None and at.tzinfo is not None:
        stored = stored.replace(tzinfo=at.tzinfo)
    return stored < at


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
        return await self.apply_many([(kind, key, entry, at)]) == 1

    async def apply_many(self, changes: Sequence[Change]) -> int:
        """A run of entry states, newest kept per entry; returns how many entries changed.

        A directory import publishes every entry at once (1,200 for the city): new entries go
        in with one `insert_many` and the replicas reload once, where one guarded upsert and
        one revision bump per entry took up to a minute on a busy store."""
        newest: dict[str, Change] = {}
        for change in changes:
            subject = directory_subject(change[0], change[1])
            held = newest.get(subject)
            if held is None or change[3] >= held[3]:
                newest[subject] = change
        if not newest:
            return 0
        stored = {
            str(d["_id"]): d["at"] for d in await find_in(self.collection, "_id", newest, {"at": 1})
        }
        fresh = [
            _document(subject, *change)
            for subject, change in newest.items()
            if subject not in stored
        ]
        changed, raced = await self._insert(fresh)
        updates = [
            UpdateOne(
                # Missing or older, as one field condition: an `$or` would make the store scan.
                {"_id": subject, "at": {"$not": {"$gte": change[3]}}},
                {"$set": _document(subject, *change)},
            )
            for subject, change in newest.items()
            if (subject in stored and _older(stored[subject], change[3])) or subject in raced
        ]
        if updates:
            result = await self.collection.bulk_write(updates, ordered=False)
            changed += result.modified_count
        if changed:
            await self._mirror.changed()
        return changed

    async def _insert(self, documents: list[Document]) -> tuple[int, set[str]]:
        """Insert new entries; returns how many went in and the ids another writer stored first."""
        if not documents:
            return 0, set()
        stored = await insert_new(self.collection, documents)
        return len(stored), {str(d["_id"]) for d in documents if d["_id"] not in stored}

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
