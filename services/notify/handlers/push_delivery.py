"""Send one claimed push (email, SMS, IM) and record the outcome with its event."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from services.notify.adapters.dead_letters import DeliveryDeadLetters
from services.notify.adapters.deliveries import Delivery, DeliveryRepository
from services.notify.domain.delivery import PermanentDeliveryError, backoff_seconds
from services.notify.handlers.notification_events import notification_envelope
from shared.errors import TransientError
from shared.events.notification_events import NotificationFailed, NotificationSent
from shared.logging import get_logger

log = get_logger(__name__)


class Sender(Protocol):
    async def send(self, delivery: Delivery) -> None:
        """Deliver, or raise `TransientError` (try later) / `PermanentDeliveryError`."""


PushOutcome = Literal["sent", "retry", "failed"]
"""What became of one attempt: delivered, scheduled again, or given up (dead-lettered)."""


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float
    cap_s: float
    max_attempts: int


async def deliver(
    delivery: Delivery,
    *,
    sender: Sender,
    deliveries: DeliveryRepository,
    dead_letters: DeliveryDeadLetters,
    retry: RetryPolicy,
) -> PushOutcome:
    """Send one claimed delivery and record the outcome (with its event) while leased."""
    context = {"notification_id": delivery.id, "channel": delivery.channel}
    try:
        await sender.send(delivery)
    except PermanentDeliveryError as exc:
        error, error_type = str(exc), type(exc).__name__
    except Exception as exc:
        # Transient, or a bug in a sender: either way another attempt decides, and the
        # attempt limit keeps a bug from retrying for ever.
        if not isinstance(exc, TransientError):
            log.exception("notification.send_crashed", **context)
        if delivery.attempts < retry.max_attempts:
            wait = backoff_seconds(
                delivery.attempts, base_s=retry.base_s, cap_s=retry.cap_s, jitter=random.random()
            )
            at = datetime.now(UTC) + timedelta(seconds=wait)
            await deliveries.retry_later(delivery, at=at, error=str(exc))
            log.warning(
                "notification.push_retry",
                attempts=delivery.attempts,
                retry_in=round(wait, 2),
                error=str(exc),
                **context,
            )
            return "retry"
        error = f"gave up after {delivery.attempts} attempts: {exc}"
        error_type = "AttemptsExhausted"
    else:
        now = datetime.now(UTC)
        sent = NotificationSent(
            notification_id=delivery.id,
            cause_event_id=delivery.cause_event_id,
            case_id=delivery.case_id,
            recipient=delivery.recipient,
            channel=delivery.channel,
            sent_at=now,
        )
        recorded = await deliveries.mark_sent(
            delivery,
            at=now,
            event=notification_envelope(
                sent, key=delivery.id, correlation_id=delivery.correlation_id
            ),
        )
        log.info("notification.push_sent", attempts=delivery.attempts, recorded=recorded, **context)
        return "sent"
    now = datetime.now(UTC)
    failed = notification_envelope(
        NotificationFailed(
            notification_id=delivery.id,
            cause_event_id=delivery.cause_event_id,
            case_id=delivery.case_id,
            recipient=delivery.recipient,
            channel=delivery.channel,
            error=error,
            failed_at=now,
        ),
        key=delivery.id,
        correlation_id=delivery.correlation_id,
    )
    # Dead letter first: a crash before the "failed" write retries the delivery (same
    # Idempotency-Key) and dead-letters again, rather than marking it failed unannounced.
    await dead_letters.publish(failed, delivery=delivery, error=error, error_type=error_type)
    await deliveries.mark_failed(delivery, at=now, error=error, event=failed)
    log.error("notification.push_failed", attempts=delivery.attempts, error=error, **context)
    return "failed"
