"""Transactional outbox without multi-document transactions.

A service writes its state change and the events it causes in ONE single-document write: the
events sit in the document under `outbox.<key>`, `outbox_count` says how many and `outbox_last`
names the entry queued last. The relay publishes them in order and removes exactly the entries
it published. A crash before the removal means the events are published again; consumers are
idempotent by event id, so nothing visible is duplicated. A Kafka outage leaves the events in
the documents until it ends.

One relay at a time publishes a collection's outboxes: it holds a lease on the collection (one
small document in `outbox_relays`, renewed while there is work), not on each document, so a
published event costs one write to its document (the removal), not two. A relay that stalls
past its lease may publish what another relay publishes too (duplicates consumers drop), but
never removes what it did not publish: a document's outbox is dropped whole only while its
`outbox_last` is still the entry the relay read, and otherwise only the entries it published
are removed, each only if still there.

Cost stays flat as documents accumulate: a drained document carries no `outbox_count` at all,
and the count's index is sparse, so the relay's poll reads only documents with pending events;
at rest (nothing pending) a pass is that one read. The local store reads every match of a
filter before it applies the limit, so when a poll comes back full the relay reads the pending
documents' ids once and claims them a batch at a time by `_id`: a backlog of P documents (an
import, a Kafka outage) costs two whole reads, not P / batch of them. A relay that found the
lease held by another (a second replica) reads only the lease until it is free again. Every
filter is an index equality or range on one field, or `_id`: the local store answers a
top-level `$or` (and a range whose lower bound is not the index's start) by scanning
(docs/operations.md, "Query shapes").
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError, OperationFailure

from shared.errors import is_transient
from shared.events.envelope import Envelope
from shared.logging import get_logger
from shared.metrics import Metrics
from shared.mongo import Document, find_in, in_slices
from shared.producer import EventPublisher
from shared.settings import ServiceSettings

log = get_logger(__name__)

OUTBOX = "outbox"
OUTBOX_COUNT = "outbox_count"
OUTBOX_LAST = "outbox_last"
OUTBOX_LEASE = "outbox_lease"
"""Written by versions that leased each document; removed with the outbox it guarded."""
RELAY_LEASES = "outbox_relays"
HIDE_OUTBOX: dict[str, int] = {OUTBOX: 0, OUTBOX_COUNT: 0, OUTBOX_LAST: 0, OUTBOX_LEASE: 0}
"""A projection leaving the relay's bookkeeping out of what a repository returns."""


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
    return {**document, OUTBOX: entries, OUTBOX_COUNT: len(entries), OUTBOX_LAST: last(entries)}


def last(entries: Document) -> str:
    """The key of the entry queued last (the highest `seq`)."""
    return max(entries, key=lambda k: entries[k]["seq"])


def queue_events(update: Document, envelopes: Sequence[Envelope], *, topic: str) -> Document:
    """An update document that also queues the events, for `update_one`."""
    merged = {op: dict(fields) for op, fields in update.items()}
    entries = _entries(envelopes, topic)
    if not entries:
        return merged
    merged.setdefault("$set", {}).update({f"{OUTBOX}.{k}": v for k, v in entries.items()})
    # Every queueing changes it: the relay drops an outbox whole only if nothing came since.
    merged["$set"][OUTBOX_LAST] = last(entries)
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


class _CollectionLease:
    """Whether this relay is the one publishing a collection's outboxes: a lease in the
    collection's database, taken when there is work and renewed at half its time."""

    def __init__(self, collection: AsyncCollection[Document], *, seconds: float) -> None:
        self._leases: AsyncCollection[Document] = collection.database[RELAY_LEASES]
        self._name = collection.name
        self._seconds = seconds
        self._token = uuid.uuid4().hex
        self._until = 0.0
        self._elsewhere = False

    async def elsewhere(self) -> bool:
        """Whether another relay holds the lease now: one read by `_id`, made only after this
        relay failed to take it, so that a replica that is not publishing a collection does
        not read the collection's pending documents (the whole backlog on the local store)
        every pass. A lease released by a clean stop, or run out, is free again at once."""
        if not self._elsewhere:
            return False
        lease = await self._leases.find_one({"_id": self._name}, {"by": 1, "until": 1})
        self._elsewhere = (
            lease is not None and lease.get("by") != self._token and lease["until"] > time.time()
        )
        return self._elsewhere

    async def held(self) -> bool:
        now = time.time()
        if self._until - now > self._seconds / 2:
            return True
        until = now + self._seconds
        renewed = await self._leases.update_one(
            {"_id": self._name, "by": self._token}, {"$set": {"until": until}}
        )
        if renewed.matched_count == 0:
            try:
                # Free or expired: take it. Held by another: the upsert's insert collides.
                await self._leases.update_one(
                    {"_id": self._name, "until": {"$lt": now}},
                    {"$set": {"by": self._token, "until": until}},
                    upsert=True,
                )
            except DuplicateKeyError:
                self._until = 0.0
                self._elsewhere = True
                return False
        self._until = until
        self._elsewhere = False
        return True

    async def release(self) -> None:
        """On a clean stop, so the next relay (a restarted replica) need not wait it out."""
        if self._until > time.time():
            self._until = 0.0
            await self._leases.update_one(
                {"_id": self._name, "by": self._token}, {"$set": {"until": 0.0}}
            )


def oldest_seq(documents: Iterable[Document]) -> int | None:
    """The smallest `seq` among these documents' outbox entries; None when there are none."""
    seqs = [
        int(entry["seq"])
        for document in documents
        for entry in (document.get(OUTBOX) or {}).values()
        if isinstance(entry, dict) and "seq" in entry
    ]
    return min(seqs) if seqs else None


async def still_pending(
    collection: AsyncCollection[Document], ids: Iterable[Any], projection: Document
) -> list[Document]:
    """Those of these documents that still hold unpublished events, read by `_id` (a filter on
    the outbox's own index would read every pending document on the local store)."""
    return await find_in(collection, "_id", ids, projection, also={OUTBOX_COUNT: {"$gt": 0}})


@dataclass(frozen=True)
class RelayRead:
    """What a relay's last pass read: when (monotonic), and the oldest event among it."""

    at: float
    oldest: int | None


class Backlog:
    """The ids of a collection's pending documents, read once when a poll came back full, to
    be claimed a batch at a time."""

    def __init__(self) -> None:
        self._ids: collections.deque[Any] = collections.deque()

    def __bool__(self) -> bool:
        return bool(self._ids)

    @property
    def remaining(self) -> int:
        return len(self._ids)

    def plan(self, ids: Sequence[Any]) -> None:
        self._ids = collections.deque(ids)

    def take(self, n: int) -> list[Any]:
        return [self._ids.popleft() for _ in range(min(n, len(self._ids)))]

    def clear(self) -> None:
        self._ids.clear()


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
        self._leases = [
            _CollectionLease(c, seconds=settings.outbox_lease_seconds) for c in self._collections
        ]
        self._publisher = publisher
        self._settings = settings
        self._metrics = metrics
        self._batch_size = batch_size
        self._backlogs = [Backlog() for _ in self._collections]
        self._wake = asyncio.Event()
        self.last_read: RelayRead | None = None

    @property
    def collections(self) -> list[AsyncCollection[Document]]:
        return list(self._collections)

    def wake(self) -> None:
        """Called after a local write so the events go out now, not at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        try:
            await self._run()
        finally:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    for lease in self._leases:
                        await lease.release()

    async def _run(self) -> None:
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
        oldest: list[int] = []
        read_all = False
        try:
            for collection, lease, backlog in zip(
                self._collections, self._leases, self._backlogs, strict=True
            ):
                if await lease.elsewhere():
                    # Its pending events wait on the other relay, which reports their age.
                    continue
                if backlog:
                    docs = await self._claim_backlog(collection, backlog)
                else:
                    docs = (
                        await collection.find(
                            {OUTBOX_COUNT: {"$gt": 0}}, {OUTBOX: 1, OUTBOX_LAST: 1}
                        )
                        .limit(self._batch_size)
                        .to_list()
                    )
                pending_docs += len(docs) + backlog.remaining
                if not docs:
                    continue
                seq = oldest_seq(docs)
                if seq is not None:
                    oldest.append(seq)
                if not await lease.held():
                    backlog.clear()
                    continue
                try:
                    published += await self._publish(collection, docs)
                except BaseException:
                    backlog.clear()  # found again by the next pass's poll
                    raise
                if len(docs) == self._batch_size and not backlog:
                    await self._plan_backlog(collection, backlog, done={d["_id"] for d in docs})
            read_all = True
        finally:
            # Also when publishing failed (Kafka away): what was read still waits, and ages.
            # A pass the store failed before anything was read tells nothing.
            if read_all or oldest:
                self._metrics.outbox_pending.set(pending_docs)
                self.last_read = RelayRead(time.monotonic(), min(oldest) if oldest else None)
        return published

    async def _plan_backlog(
        self, collection: AsyncCollection[Document], backlog: Backlog, *, done: set[Any]
    ) -> None:
        """A full batch: more may be pending. The local store reads every pending document for
        the poll however small its limit, so a poll per batch would cost the square of a large
        backlog (an import, a Kafka outage); instead the ids are read once and claimed a batch
        at a time by `_id`."""
        found = await collection.find({OUTBOX_COUNT: {"$gt": 0}}, {"_id": 1}).to_list()
        backlog.plan([d["_id"] for d in found if d["_id"] not in done])

    async def _claim_backlog(
        self, collection: AsyncCollection[Document], backlog: Backlog
    ) -> list[Document]:
        """The next batch of the backlog's documents still pending; a batch another relay
        drained meanwhile (one that held the lease before) is skipped."""
        while backlog:
            docs = await still_pending(
                collection, backlog.take(self._batch_size), {OUTBOX: 1, OUTBOX_LAST: 1}
            )
            if docs:
                return docs
        return []

    async def _publish(self, collection: AsyncCollection[Document], docs: list[Document]) -> int:
        items: list[tuple[str, Envelope]] = []
        published: dict[Any, list[str]] = {}
        for doc in docs:
            entries: dict[str, Any] = doc.get(OUTBOX) or {}
            ordered = sorted(entries.items(), key=lambda kv: kv[1]["seq"])
            items.extend(
                (self._settings.topic(entry["topic"]), Envelope.model_validate(entry["event"]))
                for _, entry in ordered
            )
            published[doc["_id"]] = [k for k, _ in ordered]
        await self._publisher.publish_many(items)
        # Usually nothing was queued meanwhile: one `update_many` per slice of ids drops every
        # outbox whole, which takes the documents out of the sparse index. A store commits each
        # statement of a `bulk_write` on its own (SecantusDB with a sync per commit), so
        # per-document statements are kept for the documents that got more events meanwhile.
        lasts = {doc["_id"]: doc[OUTBOX_LAST] for doc in docs if doc.get(OUTBOX_LAST)}
        drained = 0
        for part in in_slices(lasts):
            result = await collection.update_many(
                {"_id": {"$in": part}, OUTBOX_LAST: {"$in": [lasts[i] for i in part]}},
                {"$unset": {OUTBOX: "", OUTBOX_COUNT: "", OUTBOX_LAST: "", OUTBOX_LEASE: ""}},
            )
            drained += result.modified_count
        if drained < len(docs):
            await self._remove_entries(collection, published)
        log.debug("outbox.published", events=len(items), documents=len(docs))
        return len(items)

    async def _remove_entries(
        self, collection: AsyncCollection[Document], published: dict[Any, list[str]]
    ) -> None:
        """The published entries of the documents still holding some, each removed only if
        still there (another relay may have removed them, and the count must drop once)."""
        left = await still_pending(collection, published, {OUTBOX: 1})
        updates = []
        for doc in left:
            keys = [k for k in published[doc["_id"]] if k in (doc.get(OUTBOX) or {})]
            if keys:
                updates.append(
                    UpdateOne(
                        {"_id": doc["_id"], **{f"{OUTBOX}.{k}": {"$exists": True} for k in keys}},
                        {
                            "$unset": {OUTBOX_LEASE: "", **{f"{OUTBOX}.{k}": "" for k in keys}},
                            "$inc": {OUTBOX_COUNT: -len(keys)},
                        },
                    )
                )
        if updates:
            await collection.bulk_write(updates, ordered=False)
