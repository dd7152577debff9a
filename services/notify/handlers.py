"""notify's use cases: one async function per event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from services.notify.adapters.inbox_repository import InboxRepository, message_id
from services.notify.domain.messages import new_case_message
from shared.consumer import ConsumedEvent, bound_event_context
from shared.events.case_events import CaseAssigned
from shared.events.envelope import Envelope
from shared.events.notification_events import NotificationSent
from shared.logging import get_logger

log = get_logger(__name__)

SOURCE = "minyi/notify"


async def on_case_events(events: Sequence[ConsumedEvent], *, inbox: InboxRepository) -> None:
    for event in events:
        if event.envelope.type == CaseAssigned.TYPE:
            with bound_event_context(event):
                await notify_assignment(event.envelope, inbox=inbox)


async def notify_assignment(envelope: Envelope, *, inbox: InboxRepository) -> None:
    assigned = envelope.payload(CaseAssigned)
    message = new_case_message(assigned)
    key = message_id(cause_event_id=envelope.id, recipient=message.recipient, channel="inbox")
    now = datetime.now(UTC)
    sent = Envelope.wrap(
        NotificationSent(
            notification_id=key,
            cause_event_id=envelope.id,
            case_id=assigned.case_id,
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
        case_id=assigned.case_id,
        cause_event_id=envelope.id,
        at=now,
        sent=sent,
    )
    log.info(
        "notification.inbox_delivered" if delivered else "notification.already_delivered",
        case_id=assigned.case_id,
        recipient=message.recipient,
    )
