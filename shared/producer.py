"""The one Kafka producer of a service: idempotent, acks=all, keyed, batched and compressed."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

from aiokafka import AIOKafkaProducer

from shared.events.envelope import CONTENT_TYPE, Envelope
from shared.logging import get_logger
from shared.metrics import Metrics
from shared.settings import ServiceSettings
from shared.tracing import producer_spans, traceparent_header

log = get_logger(__name__)

Headers = list[tuple[str, bytes]]
Items = Sequence[tuple[str, Envelope]]
"""Full topic names and the envelopes to publish to them, in order."""


class Sealer(Protocol):
    """What turns a batch into what may leave the service: personal fields sealed with their
    case's key (shared.case_keys.KeySealer), key records added ahead of their cases' events."""

    async def seal(self, items: Items) -> Items: ...


def event_headers(envelope: Envelope) -> Headers:
    return [
        ("content-type", CONTENT_TYPE.encode()),
        ("ce_id", envelope.id.encode()),
        ("ce_type", envelope.type.encode()),
        ("ce_source", envelope.source.encode()),
        ("correlation-id", envelope.correlationid.encode()),
    ]


class EventPublisher:
    def __init__(
        self, *, settings: ServiceSettings, metrics: Metrics, sealer: Sealer | None = None
    ) -> None:
        self._settings = settings
        self._metrics = metrics
        # Every service's publisher seals (shared.runtime); one without a sealer (a test's
        # probe) publishes what it is given.
        self._sealer = sealer
        self._producer_instance: AIOKafkaProducer | None = None
        self._started = asyncio.Event()

    @property
    def _producer(self) -> AIOKafkaProducer:
        if self._producer_instance is None:
            raise ConnectionError("Kafka producer not started")
        return self._producer_instance

    def _new_producer(self) -> AIOKafkaProducer:
        # Made inside the running loop: aiokafka binds to the loop that creates it.
        return AIOKafkaProducer(
            **self._settings.kafka_client_options(),
            client_id=f"minyi-{self._settings.service_name}",
            enable_idempotence=True,
            acks="all",
            linger_ms=self._settings.producer_linger_ms,
            compression_type="gzip",
            request_timeout_ms=15000,
        )

    @property
    def started(self) -> bool:
        return self._started.is_set()

    async def start(self, *, retry_max_seconds: float = 10.0) -> None:
        """Connect, retrying while Kafka is down: the service serves HTTP meanwhile."""
        delay = 0.2
        while True:
            producer = self._new_producer()
            try:
                await producer.start()
            except Exception as exc:
                await producer.stop()
                log.warning("kafka.producer.unavailable", error=str(exc), retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, retry_max_seconds)
                continue
            self._producer_instance = producer
            self._started.set()
            log.info("kafka.producer.started")
            return

    async def wait_started(self) -> None:
        await self._started.wait()

    async def stop(self) -> None:
        if self._started.is_set():
            await self._producer.stop()

    async def check(self, timeout_s: float = 2.0) -> None:
        """Readiness: the broker answers a metadata request."""
        if not self._started.is_set():
            raise ConnectionError("Kafka producer not connected")
        await asyncio.wait_for(self._producer.client.fetch_all_metadata(), timeout_s)

    async def publish_many(self, items: Items) -> None:
        """Publish full topic names and envelopes, sealed; returns when all are acknowledged."""
        if self._sealer is not None:
            items = await self._sealer.seal(items)
        spans = producer_spans(items)
        futures = []
        try:
            for (topic, envelope), span in zip(items, spans, strict=True):
                fut = await self._producer.send(
                    topic,
                    value=envelope.to_bytes(),
                    key=envelope.subject.encode(),
                    headers=event_headers(envelope) + traceparent_header(span, envelope),
                )
                futures.append((topic, fut))
            for topic, fut in futures:
                await fut
                self._metrics.events_produced(topic=topic).inc()
        finally:
            for span in spans:
                if span is not None:
                    span.end()

    async def publish(self, topic: str, envelope: Envelope) -> None:
        await self.publish_many([(topic, envelope)])

    async def sealed(self, envelope: Envelope) -> Envelope:
        """The envelope as `publish` would send it, for a copy that goes out by `publish_raw`
        (a dead letter of the service's own making)."""
        if self._sealer is None:
            return envelope
        sealed = await self._sealer.seal([("", envelope)])
        return next(e for _, e in sealed if e.id == envelope.id)

    async def publish_raw(
        self, topic: str, *, key: bytes | None, value: bytes | None, headers: Headers
    ) -> None:
        await self._producer.send_and_wait(topic, value=value, key=key, headers=headers)
        self._metrics.events_produced(topic=topic).inc()
