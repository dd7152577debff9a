"""One worker per push channel: claims due deliveries, sends them concurrently, records the
outcomes. A dead gateway leaves only its own channel's deliveries pending; a slow send holds
one of `delivery_concurrency` slots, never the consumer or another channel."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

from services.notify.adapters.dead_letters import DeliveryDeadLetters
from services.notify.adapters.deliveries import Delivery, DeliveryRepository
from services.notify.domain.delivery import PushChannel
from services.notify.handlers.push_delivery import RetryPolicy, Sender, deliver
from services.notify.settings import NotifySettings
from shared.errors import is_transient
from shared.logging import get_logger
from shared.metrics import Metrics
from shared.outbox import OutboxRelay

log = get_logger(__name__)


class DeliveryWorker:
    def __init__(
        self,
        *,
        channel: PushChannel,
        sender: Sender,
        deliveries: DeliveryRepository,
        dead_letters: DeliveryDeadLetters,
        relay: OutboxRelay,
        settings: NotifySettings,
        metrics: Metrics,
    ) -> None:
        self.channel = channel
        self._sender = sender
        self._deliveries = deliveries
        self._dead_letters = dead_letters
        self._relay = relay
        self._settings = settings
        self._metrics = metrics
        self._retry = RetryPolicy(
            base_s=settings.delivery_backoff_base_s,
            cap_s=settings.delivery_backoff_cap_s,
            max_attempts=settings.delivery_max_attempts,
        )
        self._wake = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        """Called after deliveries were queued, so they go out now, not at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        delay = 0.2
        try:
            while True:
                self._wake.clear()
                free = self._settings.delivery_concurrency - len(self._in_flight)
                if free > 0:
                    try:
                        claimed = await self._deliveries.claim_due(
                            self.channel,
                            now=datetime.now(UTC),
                            lease_s=self._settings.delivery_lease_s,
                            limit=free,
                        )
                        delay = 0.2
                    except Exception as exc:
                        if not is_transient(exc):
                            log.exception("notification.claim_failed", channel=self.channel)
                        else:
                            log.warning("notification.store_unavailable", error=str(exc))
                        await asyncio.sleep(delay)
                        delay = min(delay * 2, self._settings.consumer_retry_max_seconds)
                        continue
                    for delivery in claimed:
                        task = asyncio.create_task(self._send(delivery), name=delivery.id)
                        self._in_flight.add(task)
                        task.add_done_callback(self._in_flight.discard)
                    if len(claimed) == free:
                        continue  # there may be more due
                await self._idle()
        finally:
            for task in list(self._in_flight):
                task.cancel()
            # Interrupted sends keep their lease until it expires; then they are sent again.
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _idle(self) -> None:
        """Until something is queued, a send finishes (a slot is free) or the poll is due."""
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait(
                {woken, *self._in_flight},
                timeout=self._settings.delivery_poll_s,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            woken.cancel()

    async def _send(self, delivery: Delivery) -> None:
        try:
            outcome = await deliver(
                delivery,
                sender=self._sender,
                deliveries=self._deliveries,
                dead_letters=self._dead_letters,
                retry=self._retry,
            )
            self._metrics.push_deliveries(channel=self.channel, outcome=outcome).inc()
        except asyncio.CancelledError:
            raise
        except Exception:
            # Recording failed (the store went away): the lease expires and the delivery is
            # attempted again, with the same notification id.
            log.exception("notification.delivery_unrecorded", notification_id=delivery.id)
        self._relay.wake()
