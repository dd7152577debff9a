"""The one way services consume events.

- consumer groups; a batch is a whole poll (every assigned partition's records together, so
  the handlers' bulk writes cover all of them); offsets committed only after the handler
  succeeded for the whole batch;
- transient failures (store or broker down) retried with capped exponential backoff and jitter,
  for as long as it takes: an outage delays handling, it never dead-letters a good event;
- a record that cannot be decoded, or whose handler keeps failing, goes to the group's
  dead-letter topic with the error and its original headers, and the partition moves on;
- with `EventRoutes` (shared/dispatch.py) each payload is decoded once, here, and handlers get
  typed events; a payload that does not fit its model is dead-lettered alone;
- handlers are idempotent by event id (each service's handler guarantees it in the same
  single-document write as its effect), so a redelivery after a crash changes nothing;
- personal fields sealed with their case's key (shared.sealing) are opened here, with one key
  lookup per polled batch, so handlers read them as any field; a shredded key reads as the
  field's placeholder; an event whose key has not arrived yet is waited for (the partition does
  not move past it: the key consumer brings it), never dead-lettered; a dead letter keeps the
  record as it came, sealed;
- on a compacted topic, a tombstone (a key with no value: "forget this key") goes to the
  caller's `on_tombstone` in its place in the partition's order; a consumer without one
  dead-letters it, as any record that is not an event.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from shared.dispatch import Event, EventRoutes
from shared.errors import is_transient
from shared.events.envelope import Envelope, EventData, EventDecodeError
from shared.logging import get_logger
from shared.metrics import Metrics
from shared.producer import EventPublisher, Headers
from shared.sealing import KeyLookup, KeyNotHere, cases_of, open_envelope
from shared.settings import ServiceSettings
from shared.topics import dead_letter_spec, dead_letter_topic, ensure_topics
from shared.tracing import consumer_spans

log = get_logger(__name__)


Tombstones = Callable[[bytes], Awaitable[None]]
"""Takes the key of a tombstone; idempotent, as event handlers are."""


class ConsumerStalled(Exception):
    """A consumer group is behind and has not moved for longer than its stall window."""


@dataclass
class StallWatch:
    """Whether a consumer is stuck: behind (lag above 0) and making no progress — no batch
    handled and the lag not falling — for longer than `window_s`.

    Pure: the consumer feeds it lag samples and handled batches with a monotonic `now`. Lag
    alone is no stall (a busy consumer is behind while it works through a burst), and a
    quiet consumer with nothing to read is never stalled, however long it waits."""

    window_s: float
    _lag: int = 0
    _behind_since: float | None = None

    def observe(self, *, lag: int, now: float) -> None:
        if lag <= 0:
            self._behind_since = None
        elif self._behind_since is None or lag < self._lag:
            # Newly behind, or catching up: the clock starts (again) here.
            self._behind_since = now
        self._lag = lag

    def handled(self, *, now: float) -> None:
        if self._behind_since is not None:
            self._behind_since = now

    def stalled(self, *, now: float) -> bool:
        return self._behind_since is not None and now - self._behind_since > self.window_s


def _fetch_options(wait_ms: int) -> dict[str, int]:
    if wait_ms == 0:
        return {}
    return {"fetch_min_bytes": 16 * 1024, "fetch_max_wait_ms": wait_ms}


@dataclass(frozen=True)
class ConsumedEvent:
    envelope: Envelope
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers
    event: Event[EventData]


class EventConsumer:
    """Runs one consumer group over some topics, handing each partition's batch to `routes`."""

    def __init__(
        self,
        *,
        settings: ServiceSettings,
        metrics: Metrics,
        publisher: EventPublisher,
        purpose: str,
        topics: Sequence[str],
        routes: EventRoutes,
        on_tombstone: Tombstones | None = None,
        keys: KeyLookup | None = None,
    ) -> None:
        self._settings = settings
        self._keys = keys
        self._on_tombstone = on_tombstone
        self._metrics = metrics
        self._publisher = publisher
        self._routes = routes
        self.group_base = f"{settings.service_name}.{purpose}"
        self.group = settings.group(purpose)
        self._topics = [settings.topic(t) for t in topics]
        self._dlq = settings.topic(dead_letter_topic(self.group_base))
        self._consumer: AIOKafkaConsumer | None = None
        self.assigned = asyncio.Event()
        # Per partition, the offset of the first record not yet handled: the lag is counted
        # from it, so a batch stuck in its handler still counts as behind.
        self._next_offset: dict[TopicPartition, int] = {}
        self._progress = StallWatch(window_s=settings.consumer_stall_seconds)

    async def run(self) -> None:
        consumer = await self._connect()
        try:
            while True:
                batches = await consumer.getmany(
                    timeout_ms=500, max_records=self._settings.consumer_max_records
                )
                if consumer.assignment():
                    self.assigned.set()
                polled = {tp: records for tp, records in batches.items() if records}
                if polled:
                    await self._process_polled(consumer, polled)
                self._sample_lag(consumer)
        finally:
            self._consumer = None
            await consumer.stop()

    async def _process_polled(
        self,
        consumer: AIOKafkaConsumer,
        polled: Mapping[TopicPartition, Sequence[ConsumerRecord[Any, Any]]],
    ) -> None:
        """Every partition of a poll as one batch, then one commit of all their offsets.

        One batch, not one per partition: the handlers' writes are per batch, and the events
        of a poll share buckets, counters and keys across partitions (a case's events are all
        on one partition, so each case keeps its order)."""
        for tp, records in polled.items():
            self._next_offset[tp] = records[0].offset
        await self._process([record for records in polled.values() for record in records])
        await self._commit(consumer, {tp: records[-1].offset + 1 for tp, records in polled.items()})
        for tp, records in polled.items():
            self._next_offset[tp] = records[-1].offset + 1
        self._progress.handled(now=time.monotonic())

    def _sample_lag(self, consumer: AIOKafkaConsumer) -> None:
        """Lag per assigned partition into the gauge, and its sum into the stall watch.

        A partition not read from since it was assigned is left out: where it starts is not
        known here without asking the broker."""
        assignment = consumer.assignment()
        for gone in set(self._next_offset) - assignment:
            # Revoked: another member moves it on; if it comes back, it is counted afresh.
            del self._next_offset[gone]
        total = 0
        for tp in assignment:
            highwater = consumer.highwater(tp)
            next_offset = self._next_offset.get(tp)
            if highwater is None or next_offset is None:
                continue
            lag = max(highwater - next_offset, 0)
            total += lag
            self._metrics.consumer_lag(
                group=self.group, topic=tp.topic, partition=str(tp.partition)
            ).set(lag)
        self._progress.observe(lag=total, now=time.monotonic())

    def check_progress(self) -> None:
        """Raise `ConsumerStalled` if this group is behind and stuck (readiness asks).

        Samples the lag itself: a consumer stuck in a handler is not sampling it."""
        if self._consumer is not None:
            self._sample_lag(self._consumer)
        stalled = self._progress.stalled(now=time.monotonic())
        self._metrics.consumer_stalled(group=self.group).set(1 if stalled else 0)
        if stalled:
            raise ConsumerStalled(
                f"{self.group} is behind and has handled nothing for over "
                f"{self._settings.consumer_stall_seconds:g} s"
            )

    async def _connect(self) -> AIOKafkaConsumer:
        delay = 0.2
        while True:
            consumer = AIOKafkaConsumer(
                *self._topics,
                **self._settings.kafka_client_options(),
                group_id=self.group,
                client_id=f"minyi-{self._settings.service_name}",
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                **_fetch_options(self._settings.consumer_fetch_wait_ms),
                isolation_level="read_committed",
            )
            try:
                # A consumer never stalls for want of somewhere to put its poison.
                await ensure_topics(self._settings, specs=[dead_letter_spec(self.group_base)])
                await consumer.start()
            except (KafkaError, OSError, TimeoutError) as exc:
                log.warning("kafka.consumer.unavailable", group=self.group, error=str(exc))
                await consumer.stop()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._settings.consumer_retry_max_seconds)
                continue
            log.info("kafka.consumer.started", group=self.group, topics=self._topics)
            self._consumer = consumer
            return consumer

    async def _commit(
        self, consumer: AIOKafkaConsumer, offsets: Mapping[TopicPartition, int]
    ) -> None:
        try:
            await consumer.commit(dict(offsets))
        except CommitFailedError as exc:
            # The partition moved to another member during a rebalance; it will redeliver
            # from the last commit and the idempotent handlers skip what was done.
            log.warning("kafka.consumer.commit_failed", group=self.group, error=str(exc))

    async def _process(self, records: Sequence[ConsumerRecord[Any, Any]]) -> None:
        if self._on_tombstone is None:
            await self._process_events(records)
            return
        # The events before a tombstone are handled before it, those after it after it: a key
        # deleted and then given again ends given, as on the compacted topic itself.
        start = 0
        for i, record in enumerate(records):
            if record.value is None and record.key is not None:
                await self._process_events(records[start:i])
                await self._tombstone(record, self._on_tombstone)
                start = i + 1
        await self._process_events(records[start:])

    async def _tombstone(self, record: ConsumerRecord[Any, Any], forget: Tombstones) -> None:
        try:
            await self._retry_transient(lambda: forget(record.key))
        except Exception as exc:
            log.exception("event.tombstone_failed", group=self.group, offset=record.offset)
            await self._dead_letter(
                record.topic,
                record.partition,
                record.offset,
                record.key,
                record.value,
                list(record.headers or ()),
                exc,
            )

    async def _process_events(self, records: Sequence[ConsumerRecord[Any, Any]]) -> None:
        parsed: list[tuple[ConsumerRecord[Any, Any], Envelope]] = []
        for record in records:
            try:
                envelope = Envelope.from_bytes(record.value)
            except EventDecodeError as exc:
                await self._dead_letter_record(record, exc)
                continue
            if envelope.type in self._routes.types:  # the others: a type no handler here takes
                parsed.append((record, envelope))
        delay = 0.1
        while parsed:
            keys: dict[str, bytes | None] = {}
            if self._keys is not None:
                keys = await self._lookup_keys([e for _, e in parsed])
            events, parsed = await self._decode(parsed, keys)
            await self._handle(events)
            if parsed:
                # The events after it wait too: a case's events are handled in order.
                log.warning(
                    "event.key_awaited",
                    group=self.group,
                    event_id=parsed[0][1].id,
                    subject=parsed[0][1].subject,
                    retry_in=round(delay, 2),
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._settings.consumer_retry_max_seconds)

    async def _lookup_keys(self, envelopes: Sequence[Envelope]) -> dict[str, bytes | None]:
        wanted = cases_of(envelopes)
        found: dict[str, bytes | None] = {}
        if not wanted or self._keys is None:
            return found
        keys = self._keys

        async def lookup() -> None:
            found.update(await keys.lookup(wanted))

        await self._retry_transient(lookup)
        return found

    async def _decode(
        self,
        parsed: Sequence[tuple[ConsumerRecord[Any, Any], Envelope]],
        keys: dict[str, bytes | None],
    ) -> tuple[list[ConsumedEvent], list[tuple[ConsumerRecord[Any, Any], Envelope]]]:
        """The typed events up to the first whose key has not arrived, and the rest."""
        events: list[ConsumedEvent] = []
        for i, (record, envelope) in enumerate(parsed):
            try:
                opened = envelope if self._keys is None else open_envelope(envelope, keys)
                typed = self._routes.decode(opened)
            except KeyNotHere:
                return events, list(parsed[i:])
            except EventDecodeError as exc:
                await self._dead_letter_record(record, exc)
                continue
            if typed is None:
                continue
            events.append(
                ConsumedEvent(
                    opened,
                    record.topic,
                    record.partition,
                    record.offset,
                    record.key,
                    # As it came: a dead letter holds no opened text.
                    record.value,
                    list(record.headers or ()),
                    typed,
                )
            )
        return events, []

    async def _dead_letter_record(
        self, record: ConsumerRecord[Any, Any], exc: BaseException
    ) -> None:
        await self._dead_letter(
            record.topic,
            record.partition,
            record.offset,
            record.key,
            record.value,
            list(record.headers or ()),
            exc,
        )

    async def _handle(self, events: Sequence[ConsumedEvent]) -> None:
        if not events:
            return
        try:
            await self._retry_transient(lambda: self._dispatch(events))
        except Exception:
            # Find the poison among the batch: one event at a time, the rest still succeed.
            for event in events:
                await self._handle_one(event)
            return
        for event in events:
            self._consumed(event)

    async def _dispatch(self, events: Sequence[ConsumedEvent]) -> None:
        with consumer_spans(self.group, [(e.envelope, e.headers) for e in events]):
            await self._routes.dispatch([e.event for e in events])

    async def _handle_one(self, event: ConsumedEvent) -> None:
        attempts = self._settings.consumer_handler_attempts
        for attempt in range(1, attempts + 1):
            try:
                await self._retry_transient(lambda: self._dispatch([event]))
            except Exception as exc:
                if attempt < attempts:
                    await asyncio.sleep(0.1 * attempt)
                    continue
                log.exception(
                    "event.handler_failed",
                    event_id=event.envelope.id,
                    event_type=event.envelope.type,
                    correlation_id=event.envelope.correlationid,
                )
                await self._dead_letter(
                    event.topic,
                    event.partition,
                    event.offset,
                    event.key,
                    event.value,
                    event.headers,
                    exc,
                )
                return
            self._consumed(event)
            return

    def _consumed(self, event: ConsumedEvent) -> None:
        self._metrics.events_consumed(group=self.group, type=event.envelope.type).inc()
        log.info(
            "event.consumed",
            group=self.group,
            event_id=event.envelope.id,
            event_type=event.envelope.type,
            subject=event.envelope.subject,
            correlation_id=event.envelope.correlationid,
        )

    async def _retry_transient(self, call: Callable[[], Awaitable[None]]) -> None:
        delay = 0.1
        while True:
            try:
                await call()
                return
            except Exception as exc:
                if not is_transient(exc):
                    raise
                log.warning(
                    "event.handler_transient_error",
                    group=self.group,
                    error=str(exc),
                    retry_in=round(delay, 2),
                )
                await asyncio.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, self._settings.consumer_retry_max_seconds)

    async def _dead_letter(
        self,
        topic: str,
        partition: int,
        offset: int,
        key: bytes | None,
        value: bytes | None,
        headers: Headers,
        exc: BaseException,
    ) -> None:
        dlq_headers: Headers = [
            *headers,
            ("dlq-error", str(exc)[:2000].encode()),
            ("dlq-error-type", type(exc).__name__.encode()),
            ("dlq-original-topic", topic.encode()),
            ("dlq-original-partition", str(partition).encode()),
            ("dlq-original-offset", str(offset).encode()),
            ("dlq-group", self.group.encode()),
            ("dlq-failed-at", datetime.now(UTC).isoformat().encode()),
        ]
        await self._retry_transient(
            lambda: self._publisher.publish_raw(
                self._dlq, key=key, value=value, headers=dlq_headers
            )
        )
        self._metrics.events_dead_lettered(group=self.group).inc()
        log.error(
            "event.dead_lettered",
            group=self.group,
            topic=topic,
            partition=partition,
            offset=offset,
            error=str(exc),
            dead_letter_topic=self._dlq,
            **_correlation(headers),
        )


def _correlation(headers: Headers) -> dict[str, str]:
    for name, value in headers:
        if name == "correlation-id":
            return {"correlation_id": value.decode(errors="replace")}
    return {}
