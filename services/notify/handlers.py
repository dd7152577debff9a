"""notify's use cases: one async function per event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from services.notify.adapters.inbox_repository import InboxRepository, message_id
from services.notify.domain.messages import inbox_messages
from services.notify.domain.rules import followed_event_types
from shared.consumer import ConsumedEvent, bound_event_context
from shared.events.case_events import CASE_EVENT_TYPES
from shared.events.envelope import Envelope
from shared.events.notification_events import NotificationSent
from shared.logging import get_logger

log = get_logger(__name__)

SOURCE = "minyi/notify"
FOLLOWED = followed_event_types()


async def on_case_events(events: Sequence[ConsumedEvent], *, inbox: InboxRepository) -> None:
    for event in events:
        if event.envelope.type in FOLLOWED:
            with bound_event_context(event):
                await notify_inboxes(event.envelope, inbox=inbox)


async def notify_inboxes(envelope: Envelope, *, inbox: InboxRepository) -> None:
    """Each recipient the rules name gets one inbox message for this event, even if redelivered."""
    case_event = envelope.payload(CASE_EVENT_TYPES[envelope.type])
    case_id = str(getattr(case_event, "case_id", envelope.subject))
    for message in inbox_messages(case_event):
        key = message_id(cause_event_id=envelope.id, recipient=message.recipient, channel="inbox")
        now = datetime.now(UTC)
        sent = Envelope.wrap(
            NotificationSent(
                notification_id=key,
                cause_event_id=envelope.id,
                case_id=case_id,
                recipient=message.recipient,
                channel="inbox",
                sent_at=now,
            ),
            source=SOURCE,
            subject=key,
            correlation_id=envelope.correlationid,
        )
        delivered = await inbox.deliver(
            message=message,
            message_key=key,
            case_id=case_id,
            cause_event_id=envelope.id,
            at=now,
            sent=sent,
        )
        log.info(
            "notification.inbox_delivered" if delivered else "notification.already_delivered",
            case_id=case_id,
            event_type=envelope.type,
            recipient=message.recipient,
        )
