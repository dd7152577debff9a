"""The transactional outbox on the real store and broker."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from shared.events.case_events import CaseSubmitted
from shared.events.envelope import Envelope
from shared.metrics import Metrics
from shared.mongo import Document
from shared.outbox import (
    OUTBOX_COUNT,
    OUTBOX_INDEX,
    OutboxRelay,
    ensure_outbox_index,
    queue_events,
    with_outbox,
)
from shared.producer import EventPublisher
from shared.topics import CASE_EVENTS
from tests.conftest import PlumbingSettings
from tests.kafka_tools import read_topic
from tests.store_commands import CommandCounter


def submitted(case_id: str, text: str = "路灯坏了，晚上很黑") -> Envelope:
    data = CaseSubmitted(
        case_id=case_id,
        category="other",
        text=text,
        channel="web",
        submitted_at=datetime.now(UTC),
    )
    return Envelope.wrap(data, source="test", subject=case_id, correlation_id="corr-" + case_id)


async def started_publisher(settings: PlumbingSettings) -> EventPublisher:
    publisher = EventPublisher(settings=settings, metrics=Metrics("probe"))
    await asyncio.wait_for(publisher.start(), 30)
    return publisher


async def drain(
    relay: OutboxRelay, collection: AsyncCollection[Document], *, timeout_s: float = 20
) -> None:
    """Run relay passes until nothing is pending; fail if that takes too long."""
    for _ in range(int(timeout_s / 0.05)):
        published = await relay.publish_pending()
        pending = await collection.count_documents({OUTBOX_COUNT: {"$gt": 0}})
        if not published and not pending:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox was not drained in time")


async def test_events_written_with_a_document_are_published_in_order_and_removed(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    collection = mongo[settings.database_name]["cases"]
    await ensure_outbox_index(collection)
    case_id = str(uuid.uuid4())
    first, second, third = (submitted(case_id, f"第{i}条意见内容") for i in range(3))
    await collection.insert_one(
        with_outbox({"_id": case_id, "version": 1}, [first], topic=CASE_EVENTS)
    )
    await collection.update_one(
        {"_id": case_id, "version": 1},
        queue_events({"$set": {"version": 2}}, [second, third], topic=CASE_EVENTS),
    )
    publisher = await started_publisher(settings)
    try:
        relay = OutboxRelay(
            collections=[collection],
            publisher=publisher,
            settings=settings,
            metrics=Metrics("probe"),
        )
        await drain(relay, collection)
    finally:
        await publisher.stop()

    records = await read_topic(settings.kafka_bootstrap, settings.topic(CASE_EVENTS), expect=3)
    assert [Envelope.from_bytes(r.value).id for r in records] == [first.id, second.id, third.id]
    assert {r.key for r in records} == {case_id.encode()}
    stored = await collection.find_one({"_id": case_id})
    assert stored is not None
    # A drained document leaves the pending index: no outbox, no count, no lease.
    assert stored["version"] == 2
    assert not {"outbox", OUTBOX_COUNT, "outbox_lease"} & set(stored)


async def test_a_kafka_outage_keeps_events_in_the_store_until_a_relay_can_publish(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    collection = mongo[settings.database_name]["cases"]
    await ensure_outbox_index(collection)
    events = [submitted(str(uuid.uuid4())) for _ in range(5)]
    for event in events:
        await collection.insert_one(with_outbox({"_id": event.subject}, [event], topic=CASE_EVENTS))

    dead = settings.model_copy(update={"kafka_bootstrap": "127.0.0.1:1"})
    unreachable = EventPublisher(settings=dead, metrics=Metrics("probe"))
    start = asyncio.create_task(unreachable.start())
    relay_down = OutboxRelay(
        collections=[collection], publisher=unreachable, settings=dead, metrics=Metrics("probe")
    )
    run = asyncio.create_task(relay_down.run())
    await asyncio.sleep(1.0)
    assert await collection.count_documents({OUTBOX_COUNT: {"$gt": 0}}) == 5
    run.cancel()
    start.cancel()
    await asyncio.gather(run, start, return_exceptions=True)

    publisher = await started_publisher(settings)
    try:
        relay = OutboxRelay(
            collections=[collection],
            publisher=publisher,
            settings=settings,
            metrics=Metrics("probe"),
        )
        await drain(relay, collection)
    finally:
        await publisher.stop()
    records = await read_topic(settings.kafka_bootstrap, settings.topic(CASE_EVENTS), expect=5)
    assert sorted(Envelope.from_bytes(r.value).id for r in records) == sorted(e.id for e in events)


async def test_competing_relays_publish_every_event_and_empty_every_outbox(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    collection = mongo[settings.database_name]["cases"]
    await ensure_outbox_index(collection)
    events = [submitted(str(uuid.uuid4())) for _ in range(60)]
    await collection.insert_many(
        [with_outbox({"_id": e.subject}, [e], topic=CASE_EVENTS) for e in events]
    )
    publishers = [await started_publisher(settings) for _ in range(2)]
    try:
        relays = [
            OutboxRelay(
                collections=[collection],
                publisher=p,
                settings=settings,
                metrics=Metrics("probe"),
                batch_size=7,
            )
            for p in publishers
        ]
        await asyncio.gather(*(drain(r, collection) for r in relays))
    finally:
        for p in publishers:
            await p.stop()
    records = await read_topic(settings.kafka_bootstrap, settings.topic(CASE_EVENTS), expect=60)
    published = [Envelope.from_bytes(r.value).id for r in records]
    # Leases keep two relays off the same document: each event goes out exactly once here.
    assert sorted(published) == sorted(e.id for e in events)
    assert await collection.count_documents({OUTBOX_COUNT: {"$exists": True}}) == 0


def _pending_reads() -> CommandCounter:
    """Counts the `find`s that read every pending document (a filter on the count alone)."""
    return CommandCounter(
        "find", lambda command: command.get("filter") == {OUTBOX_COUNT: {"$gt": 0}}
    )


async def test_a_large_backlog_is_read_whole_once_then_claimed_by_id_and_published_once(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    """The local store reads every match of a filter before it applies a limit: a poll per
    batch would read a backlog of 600 twelve times over. The relay reads it whole once, then
    claims it by `_id`; an event queued meanwhile into a planned document goes out too."""
    reads = _pending_reads()
    watched: AsyncMongoClient[Document] = AsyncMongoClient(
        settings.mongo_url, event_listeners=[reads]
    )
    collection = watched[settings.database_name]["backlog"]
    await ensure_outbox_index(collection)
    events = [submitted(str(uuid.uuid4())) for _ in range(600)]
    await collection.insert_many(
        [with_outbox({"_id": e.subject}, [e], topic=CASE_EVENTS) for e in events]
    )
    publisher = await started_publisher(settings)
    try:
        relay = OutboxRelay(
            collections=[collection],
            publisher=publisher,
            settings=settings,
            metrics=Metrics("probe"),
            batch_size=50,
        )
        assert await relay.publish_pending() == 50
        assert reads.count == 2  # the poll, then the backlog's ids
        assert relay.last_read is not None and relay.last_read.oldest is not None
        late = submitted(events[-1].subject, "后来补充的意见")
        await collection.update_one(
            {"_id": late.subject},
            queue_events({"$set": {"note": "more"}}, [late], topic=CASE_EVENTS),
        )
        passes = 1
        while await relay.publish_pending():
            passes += 1
        # 12 batches, the late event with its document's; after the last full batch the ids
        # are read again (none left), and a last poll finds nothing: 4 whole reads, not 13.
        assert passes == 12
        assert reads.count == 4
        # The last pass read nothing: no event waits (what /metrics' outbox age shows).
        assert relay.last_read is not None and relay.last_read.oldest is None
        assert await collection.count_documents({OUTBOX_COUNT: {"$exists": True}}) == 0
    finally:
        await publisher.stop()
        await watched.close()
    records = await read_topic(settings.kafka_bootstrap, settings.topic(CASE_EVENTS), expect=601)
    published = [Envelope.from_bytes(r.value).id for r in records]
    assert sorted(published) == sorted([*(e.id for e in events), late.id])


class _QueueingPublisher(EventPublisher):
    """A real publisher; while the relay's batch is on its way, the service queues one more."""

    def __init__(
        self, *, settings: PlumbingSettings, collection: AsyncCollection[Document]
    ) -> None:
        super().__init__(settings=settings, metrics=Metrics("probe"))
        self._collection = collection
        self.late: Envelope | None = None

    async def publish_many(self, items: Sequence[tuple[str, Envelope]]) -> None:
        await super().publish_many(items)
        if self.late is None:
            case_id = items[0][1].subject
            self.late = submitted(case_id, "后来补充的意见")
            await self._collection.update_one(
                {"_id": case_id},
                queue_events({"$set": {"note": "more"}}, [self.late], topic=CASE_EVENTS),
            )


async def test_an_event_queued_while_the_batch_is_published_is_kept_and_published_next(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    collection = mongo[settings.database_name]["cases"]
    await ensure_outbox_index(collection)
    first = submitted(str(uuid.uuid4()))
    await collection.insert_one(with_outbox({"_id": first.subject}, [first], topic=CASE_EVENTS))
    publisher = _QueueingPublisher(settings=settings, collection=collection)
    await asyncio.wait_for(publisher.start(), 30)
    try:
        relay = OutboxRelay(
            collections=[collection], publisher=publisher, settings=settings, metrics=Metrics("p")
        )
        assert await relay.publish_pending() == 1
        stored = await collection.find_one({"_id": first.subject})
        assert stored is not None and publisher.late is not None
        assert stored[OUTBOX_COUNT] == 1 and "outbox_lease" not in stored
        await drain(relay, collection)
    finally:
        await publisher.stop()
    records = await read_topic(settings.kafka_bootstrap, settings.topic(CASE_EVENTS), expect=2)
    assert [Envelope.from_bytes(r.value).id for r in records] == [first.id, publisher.late.id]


async def test_documents_drained_by_an_older_version_leave_the_pending_index(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    collection = mongo[settings.database_name]["legacy"]
    await collection.create_index(OUTBOX_COUNT)
    await collection.insert_many(
        [{"_id": i, "outbox": {}, OUTBOX_COUNT: 0} for i in range(20)]
        + [{"_id": "pending", "outbox": {"e1": {}}, OUTBOX_COUNT: 1}]
    )

    await ensure_outbox_index(collection)
    await ensure_outbox_index(collection)  # idempotent at every start

    indexes = await collection.index_information()
    assert "outbox_count_1" not in indexes and indexes[OUTBOX_INDEX].get("sparse") is True
    assert await collection.count_documents({OUTBOX_COUNT: {"$exists": True}}) == 1
    assert await collection.count_documents({"outbox": {"$exists": True}}) == 1


async def test_relays_that_lose_their_lease_mid_pass_remove_only_what_they_published(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    """Leases that expire at once: three relays publish the same documents side by side while
    the service keeps queueing events into them. Duplicates may go out; nothing is lost and
    every outbox ends empty with its count at zero."""
    collection = mongo[settings.database_name]["racing"]
    await ensure_outbox_index(collection)
    first = [submitted(str(uuid.uuid4())) for _ in range(30)]
    await collection.insert_many(
        [with_outbox({"_id": e.subject}, [e], topic=CASE_EVENTS) for e in first]
    )
    hasty = settings.model_copy(update={"outbox_lease_seconds": 0.001})
    publishers = [await started_publisher(settings) for _ in range(3)]
    later: list[Envelope] = []

    async def keep_queueing() -> None:
        for round_ in range(4):
            for e in first[round_::4]:
                more = submitted(e.subject, f"补充意见 {round_}")
                later.append(more)
                await collection.update_one(
                    {"_id": e.subject}, queue_events({}, [more], topic=CASE_EVENTS)
                )
            await asyncio.sleep(0.02)

    try:
        relays = [
            OutboxRelay(
                collections=[collection],
                publisher=p,
                settings=hasty,
                metrics=Metrics("probe"),
                batch_size=5,
            )
            for p in publishers
        ]
        await asyncio.gather(keep_queueing(), *(drain(r, collection) for r in relays))
        for relay in relays:
            await drain(relay, collection)
    finally:
        for p in publishers:
            await p.stop()
    expected = {e.id for e in [*first, *later]}
    records = await read_topic(
        settings.kafka_bootstrap, settings.topic(CASE_EVENTS), expect=len(expected)
    )
    assert {Envelope.from_bytes(r.value).id for r in records} >= expected
    assert await collection.count_documents({OUTBOX_COUNT: {"$exists": True, "$ne": 0}}) == 0
    assert await collection.count_documents({"outbox": {"$exists": True, "$ne": {}}}) == 0


async def test_a_stopped_relay_hands_its_collection_over_at_once(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    collection = mongo[settings.database_name]["handover"]
    await ensure_outbox_index(collection)
    before = submitted(str(uuid.uuid4()))
    await collection.insert_one(with_outbox({"_id": before.subject}, [before], topic=CASE_EVENTS))
    publishers = [await started_publisher(settings) for _ in range(2)]
    try:
        old, new = (
            OutboxRelay(
                collections=[collection], publisher=p, settings=settings, metrics=Metrics("p")
            )
            for p in publishers
        )
        running = asyncio.create_task(old.run())
        await asyncio.sleep(0)
        old.wake()
        for _ in range(600):
            if not await collection.count_documents({OUTBOX_COUNT: {"$gt": 0}}):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the running relay did not publish within 30 s")
        after = submitted(str(uuid.uuid4()))
        # The old relay holds the lease (15 s here): the new one waits while it runs...
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await collection.insert_one(with_outbox({"_id": after.subject}, [after], topic=CASE_EVENTS))
        # ...and publishes at once after a clean stop released it.
        assert await new.publish_pending() == 1
    finally:
        for p in publishers:
            await p.stop()
    records = await read_topic(settings.kafka_bootstrap, settings.topic(CASE_EVENTS), expect=2)
    # Two cases, two partitions: no order between them.
    assert sorted(Envelope.from_bytes(r.value).id for r in records) == sorted([before.id, after.id])


async def test_a_relay_whose_collection_another_holds_reads_only_the_lease_until_it_is_free(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    """A second replica must not read the backlog (every pending document, on the local store)
    each pass while the first publishes it; it takes over as soon as the lease is released."""
    reads = _pending_reads()
    watched: AsyncMongoClient[Document] = AsyncMongoClient(
        settings.mongo_url, event_listeners=[reads]
    )
    collection = mongo[settings.database_name]["replicas"]
    await ensure_outbox_index(collection)
    events = [submitted(str(uuid.uuid4())) for _ in range(120)]
    await collection.insert_many(
        [with_outbox({"_id": e.subject}, [e], topic=CASE_EVENTS) for e in events]
    )
    publishers = [await started_publisher(settings) for _ in range(2)]
    try:
        holder, replica = (
            OutboxRelay(
                collections=[c], publisher=p, settings=settings, metrics=Metrics("p"), batch_size=50
            )
            for c, p in zip(
                (collection, watched[settings.database_name]["replicas"]), publishers, strict=True
            )
        )
        assert await holder.publish_pending() == 50
        # The replica's first pass reads, and finds the lease taken...
        assert await replica.publish_pending() == 0
        assert reads.count == 1
        # ...its next passes read the lease alone, and report nothing waiting on them.
        for _ in range(3):
            assert await replica.publish_pending() == 0
        assert reads.count == 1
        assert replica.last_read is not None and replica.last_read.oldest is None
        while await holder.publish_pending():
            pass
        running = asyncio.create_task(holder.run())
        await asyncio.sleep(0.1)
        running.cancel()  # a clean stop releases the lease
        with contextlib.suppress(asyncio.CancelledError):
            await running
        after = submitted(str(uuid.uuid4()))
        await collection.insert_one(with_outbox({"_id": after.subject}, [after], topic=CASE_EVENTS))
        assert await replica.publish_pending() == 1
        assert reads.count == 2
    finally:
        for p in publishers:
            await p.stop()
        await watched.close()
    records = await read_topic(settings.kafka_bootstrap, settings.topic(CASE_EVENTS), expect=121)
    published = [Envelope.from_bytes(r.value).id for r in records]
    assert sorted(published) == sorted([*(e.id for e in events), after.id])
