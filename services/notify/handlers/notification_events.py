"""The `notification.sent` / `notification.failed` envelopes notify stores with its effects."""

from __future__ import annotations

from shared.events.envelope import Envelope
from shared.events.notification_events import NotificationFailed, NotificationSent

SOURCE = "minyi/notify"


def notification_envelope(
    event: NotificationSent | NotificationFailed, *, key: str, correlation_id: str
) -> Envelope:
    """The event keyed by its notification id, carrying the cause's correlation id."""
    return Envelope.wrap(event, source=SOURCE, subject=key, correlation_id=correlation_id)
