"""Transactional outbox without multi-document transactions.

A service writes its state change and the events it causes in ONE single-document write: the
events sit in the document under `outbox.<key>` and `outbox_count` says how many. The relay
claims documents with pending events (a lease, so several replicas do not fight), publishes
them in order and removes exactly the entries it published. A crash before the removal means
the events are published again; consumers are idempotent by event id, so nothing visible is
duplicated. A Kafka outage leaves the events in the documents until it ends.

Cost stays flat as documents accumulate: a drained document carries no `outbox_count` at all,
and the count's index is sparse, so the relay's poll reads only documents with pending events.
Every filter is an index equality or range on one field, or `_id`: the local store answers a
top-level `$or` (and a range whose lower bound is not the index's start) by scanning
(docs/operations.md, "Query shapes").
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Sequence
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import OperationFailure

from shared.errors import is_transient
from shared.events.envelope import Envelope
from shared.logging import get_logger
from shared.metrics import Metrics
from shared.mongo import Document
from shared.producer import EventPublisher
from shared.settings import ServiceSettings

log = get_logger(__name__)

OUTBOX = "outbox"
OUTBOX_COUNT = "outbox_count"
OUTBOX_LEASE = "outbox_lease"


def _entry_key(envelope: Envelope) -> str:
    # Dotted paths must not look like array indexes; event ids are uuids.
    return "e" + envelope.id.replace("-", "")


def _entries(envelopes: Sequence[Envelope], topic: str, *, base: int = 0) -> dict[str, Document]:
    base = base or time.time_ns()
    return {
        _entry_key(env): {"seq": base + i, "topic": topic, "event": env.model_dump(mode="json")}
        for i, env in enumerate(envelopes)
    }


def with_outbox(document: Document, envelopes: Sequence[Envelope], *, topic: str) -> Document:
    """A new document that carries its events, for `insert_one`."""
    return with_outbox_topics(document, [(topic, envelopes)])


def with_outbox_topics(
    document: Document, batches: Sequence[tuple[str, Sequence[Envelope]]]
) -> Document:
    """A new document carrying events for several topics, published in the order given."""
    base = time.time_ns()
    entries: dict[str, Document] = {}
    for topic, envelopes in batches:
        entries.update(_entries(envelopes, topic, base=base + len(entries)))
    if not entries:
        # Nothing pending: no count, so the sparse index and the relay never see it.
        return dict(document)
    return {**document, OUTBOX: entries, OUTBOX_COUNT: len(entries)}


def queue_events(update: Document, envelopes: Sequence[Envelope], *, topic: str) -> Document:
    """An update document that also queues the events, for `update_one`."""
    merged = {op: dict(fields) for op, fields in update.items()}
    merged.setdefault("$set", {}).update(
        {f"{OUTBOX}.{k}": v for k, v in _entries(envelopes, topic).items()}
    )
    merged.setdefault("$inc", {})[OUTBOX_COUNT] = len(envelopes)
    return merged


OUTBOX_INDEX = "outbox_pending"


async def ensure_outbox_index(collection: AsyncCollection[Document]) -> None:
    """The sparse index of pending documents; migrates stores written before it existed."""
    existing = await collection.index_information()
    if "outbox_count_1" in existing:
        await collection.drop_index("outbox_count_1")
    if OUTBOX_INDEX not in existing:
        try:
            await collection.create_index(OUTBOX_COUNT, name=OUTBOX_INDEX, sparse=True)
        except OperationFailure:
            # A store without sparse indexes still serves the poll from a plain one.
            await collection.create_index(OUTBOX_COUNT, name=OUTBOX_INDEX)
    # Drained documents of older versions kept `outbox_count: 0`; without it they leave the index.
    await collection.update_many({OUTBOX_COUNT: 0}, {"$unset": {OUTBOX_COUNT: "", OUTBOX: ""}})


class OutboxRelay:
    """Publishes the events queued in the given collections."""

    def __init__(
        self,
        *,
        collections: Sequence[AsyncCollection[Document]],
        publisher: EventPublisher,
        settings: ServiceSettings,
        metrics: Metrics,
        batch_size: int = 200,
    ) -> None:
        self._collections = list(collections)
        self._publisher = publisher
        self._settings = settings
        self._metrics = metrics
        self._batch_size = batch_size
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Called after a local write so the events go out now, not at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        await self._publisher.wait_started()
        delay = 0.2
        idle = 0
        while True:
            self._wake.clear()
            try:
                published = await self.publish_pending()
                delay = 0.2
            except Exception as exc:
                if not is_transient(exc):
                    log.exception("outbox.relay_failed")
                else:
                    log.warning("outbox.relay_unavailable", error=str(exc), retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._settings.consumer_retry_max_seconds)
                continue
            if published:
                idle = 0
                continue
            # At rest the poll slows down to a quarter of its rate: local writes wake the relay
            # at once anyway; the poll is for writes of other processes (imports, replicas).
            wait = self._settings.outbox_poll_seconds * 2**idle
            idle = min(idle + 1, 2)
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()
            if self._wake.is_set():
                idle = 0

    async def publish_pending(self) -> int:
        """One pass over every collection; returns how many events were published."""
        published = 0
        pending_docs = 0
        for collection in self._collections:
            claimed = await self._claim(collection)
            pending_docs += len(claimed)
            if claimed:
                published += await self._publish(collection, claimed)
        self._metrics.outbox_pending.set(pending_docs)
        return published

    async def _claim(self, collection: AsyncCollection[Document]) -> list[Document]:
        now = time.time()
        pending = (
            await collection.find({OUTBOX_COUNT: {"$gt": 0}}, {OUTBOX_LEASE: 1})
            .limit(self._batch_size)
            .to_list()
        )
        free = [d["_id"] for d in pending if (d.get(OUTBOX_LEASE) or {}).get("until", 0) < now]
        if not free:
            return []
        token = uuid.uuid4().hex
        await collection.update_many(
            # `$not $gte` rather than an `$or` of missing/expired: the same meaning, and it keeps
            # the filter on `_id`, which the store serves from its index.
            {"_id": {"$in": free}, f"{OUTBOX_LEASE}.until": {"$not": {"$gte": now}}},
            {
                "$set": {
                    OUTBOX_LEASE: {"until": now + self._settings.outbox_lease_seconds, "by": token}
                }
            },
        )
        claimed = await collection.find(
            {"_id": {"$in": free}}, {OUTBOX: 1, OUTBOX_LEASE: 1, OUTBOX_COUNT: 1}
        ).to_list()
        return [d for d in claimed if (d.get(OUTBOX_LEASE) or {}).get("by") == token]

    async def _publish(self, collection: AsyncCollection[Document], docs: list[Document]) -> int:
        token = docs[0][OUTBOX_LEASE]["by"]
        items: list[tuple[str, Envelope]] = []
        # Documents by how many events they carried: one `update_many` per count drops the
        # outboxes of a whole pass. A store commits each statement of a `bulk_write` on its own
        # (SecantusDB with a sync per commit), so one statement per document cost a commit each.
        by_count: dict[int, list[Any]] = {}
        partial: dict[Any, UpdateOne] = {}
        for doc in docs:
            entries: dict[str, Any] = doc.get(OUTBOX) or {}
            ordered = sorted(entries.items(), key=lambda kv: kv[1]["seq"])
            items.extend(
                (self._settings.topic(entry["topic"]), Envelope.model_validate(entry["event"]))
                for _, entry in ordered
            )
            by_count.setdefault(len(ordered), []).append(doc["_id"])
            partial[doc["_id"]] = UpdateOne(
                # Only while we still hold the lease: a relay that lost it removes nothing.
                {"_id": doc["_id"], f"{OUTBOX_LEASE}.by": token},
                {
                    "$unset": {OUTBOX_LEASE: "", **{f"{OUTBOX}.{k}": "" for k, _ in ordered}},
                    "$inc": {OUTBOX_COUNT: -len(ordered)},
                },
            )
        await self._publisher.publish_many(items)
        drained = 0
        for count, ids in by_count.items():
            # Usually nothing was queued meanwhile (the count is still what was read): drop the
            # outbox whole, which takes the document out of the sparse index.
            result = await collection.update_many(
                {"_id": {"$in": ids}, f"{OUTBOX_LEASE}.by": token, OUTBOX_COUNT: count},
                {"$unset": {OUTBOX_LEASE: "", OUTBOX: "", OUTBOX_COUNT: ""}},
            )
            drained += result.modified_count
        if drained < len(docs):
            # Some documents queued more events while theirs were published: they keep those.
            still_mine = await collection.find(
                {"_id": {"$in": list(partial)}, f"{OUTBOX_LEASE}.by": token}, {"_id": 1}
            ).to_list()
            if still_mine:
                await collection.bulk_write([partial[d["_id"]] for d in still_mine], ordered=False)
        log.debug("outbox.published", events=len(items), documents=len(docs))
        return len(items)
