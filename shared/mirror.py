"""An in-memory copy of small reference data kept in the store (the directory).

Read on every submission and every routed case, the data changes a few times a day. Each
replica keeps a copy and reloads it only when the store's revision counter for it has moved,
checking that counter (one `_id` lookup) at most every `check_every_s`. Whoever changes the
data bumps the counter in the store, so a change made by another replica or a CLI process is
seen within that interval, and a change made here is seen at once.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from pymongo.asynchronous.collection import AsyncCollection

from shared.mongo import Document

T = TypeVar("T")


class RevisionedMirror(Generic[T]):
    def __init__(
        self,
        *,
        revisions: AsyncCollection[Document],
        name: str,
        load: Callable[[], Awaitable[T]],
        check_every_s: float = 1.0,
    ) -> None:
        self._revisions = revisions
        self._id = f"revision:{name}"
        self._load = load
        self._check_every_s = check_every_s
        self._value: T | None = None
        self._revision: int | None = None
        self._checked_at = float("-inf")

    async def get(self) -> T:
        now = time.monotonic()
        if self._value is not None and now - self._checked_at < self._check_every_s:
            return self._value
        revision = await self._current_revision()
        if self._value is None or revision != self._revision:
            # Read the counter before the data: a change racing with the load bumps it again,
            # and the next check reloads.
            self._value = await self._load()
            self._revision = revision
        self._checked_at = now
        return self._value

    async def changed(self) -> None:
        """Call after writing the data: every replica reloads on its next check, this one now."""
        await self._revisions.update_one({"_id": self._id}, {"$inc": {"n": 1}}, upsert=True)
        self._checked_at = float("-inf")

    async def _current_revision(self) -> int:
        document = await self._revisions.find_one({"_id": self._id})
        return int(document["n"]) if document else 0
