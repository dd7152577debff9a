"""The dead-letter topic of notify's deliveries (`notify.deliveries.dlq`): one record per
notification that will never be delivered, for operators to inspect and re-drive.

The record's value is the `notification.failed` event (no address: personal data stays in the
store), its error sealed as on `notification-events` (shared.sealing), and in the `dlq-error`
header without addresses (shared.redaction); its headers follow the
consumers' dead letters (`dlq-error`, `dlq-error-type`, `dlq-group`, `dlq-failed-at`) plus the
delivery's channel and attempts.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

from services.notify.adapters.deliveries import Delivery
from shared.errors import is_transient
from shared.events.envelope import Envelope
from shared.logging import get_logger
from shared.producer import EventPublisher, Headers, event_headers
from shared.redaction import redact_addresses
from shared.settings import ServiceSettings
from shared.topics import NOTIFY_DELIVERIES, dead_letter_spec, dead_letter_topic, ensure_topics

log = get_logger(__name__)


class DeliveryDeadLetters:
    def __init__(self, *, settings: ServiceSettings, publisher: EventPublisher) -> None:
        self._settings = settings
        self._publisher = publisher
        self.topic = settings.topic(dead_letter_topic(NOTIFY_DELIVERIES))
        self._ensured = False

    async def publish(
        self, failed: Envelope, *, delivery: Delivery, error: str, error_type: str
    ) -> None:
        """Publish, retrying while Kafka is unreachable: a give-up is never lost."""
        headers: Headers = [
            *event_headers(failed),
            # Headers are not sealed: the refusal's own words, without the address it may
            # quote (the whole message is in the event's sealed `error`).
            ("dlq-error", redact_addresses(error)[:2000].encode()),
            ("dlq-error-type", error_type.encode()),
            ("dlq-group", self._settings.topic(NOTIFY_DELIVERIES).encode()),
            ("dlq-failed-at", datetime.now(UTC).isoformat().encode()),
            ("dlq-channel", delivery.channel.encode()),
            ("dlq-attempts", str(delivery.attempts).encode()),
        ]
        delay = 0.1
        while True:
            try:
                failed = await self._publisher.sealed(failed)
                if not self._ensured:
                    await ensure_topics(self._settings, specs=[dead_letter_spec(NOTIFY_DELIVERIES)])
                    self._ensured = True
                await self._publisher.publish_raw(
                    self.topic,
                    key=failed.subject.encode(),
                    value=failed.to_bytes(),
                    headers=headers,
                )
                return
            except Exception as exc:
                if not is_transient(exc):
                    raise
                log.warning("notification.dead_letter_retry", error=str(exc), retry_in=delay)
                await asyncio.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, self._settings.consumer_retry_max_seconds)
