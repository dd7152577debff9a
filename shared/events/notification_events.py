"""Events on the `notification-events` topic, keyed by notification id."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from shared.events.envelope import EventData


class NotificationSent(EventData):
    TYPE = "notification.sent"
    VERSION = 1

    notification_id: str
    cause_event_id: str
    case_id: str | None = None
    recipient: str
    channel: Literal["inbox", "email", "sms", "im"]
    sent_at: datetime


class NotificationFailed(EventData):
    """A notification that will never be delivered on this channel (e.g. the address was
    permanently refused); no further attempts are made."""

    TYPE = "notification.failed"
    VERSION = 1

    notification_id: str
    cause_event_id: str
    case_id: str | None = None
    recipient: str
    channel: Literal["inbox", "email", "sms", "im"]
    error: str
    failed_at: datetime
