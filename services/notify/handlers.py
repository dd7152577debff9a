"""notify's use cases: one async function per event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.notify.adapters.email_deliveries import EmailDeliveries
from services.notify.adapters.email_sender import EmailSender, PermanentDeliveryError
from services.notify.adapters.inbox_repository import InboxRepository, message_id
from services.notify.domain.messages import email_messages, inbox_messages
from services.notify.domain.rules import followed_event_types
from shared.consumer import ConsumedEvent, bound_event_context
from shared.errors import TransientError
from shared.events.case_events import CASE_EVENT_TYPES
from shared.events.envelope import Envelope
from shared.events.notification_events import NotificationFailed, NotificationSent
from shared.logging import get_logger

log = get_logger(__name__)

SOURCE = "minyi/notify"
FOLLOWED = followed_event_types()


@dataclass(frozen=True)
class EmailChannel:
    """What the email channel needs: the relay, the delivery records, the address book."""

    sender: EmailSender
    deliveries: EmailDeliveries
    addresses: Mapping[str, str] = field(default_factory=dict)


async def on_case_events(
    events: Sequence[ConsumedEvent],
    *,
    inbox: InboxRepository,
    email: EmailChannel | None = None,
) -> None:
    followed = [event for event in events if event.envelope.type in FOLLOWED]
    # Every inbox message of the batch first: a slow or absent SMTP relay must not keep
    # them from the inbox (a retried batch finds them there and skips them).
    for event in followed:
        with bound_event_context(event):
            await notify_inboxes(event.envelope, inbox=inbox)
    if email is None:
        return
    for event in followed:
        with bound_event_context(event):
            await notify_by_email(event.envelope, email=email)


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


async def notify_by_email(envelope: Envelope, *, email: EmailChannel) -> None:
    """Email the recipients the email policy names, each at most once unless a crash
    interrupts between sending and recording it (see `EmailDeliveries`).

    A relay outage or 4xx raises `TransientError` (the consumer retries with backoff); a
    permanent refusal is recorded as failed with a `notification.failed` event.
    """
    case_event = envelope.payload(CASE_EVENT_TYPES[envelope.type])
    case_id = str(getattr(case_event, "case_id", envelope.subject))
    for message, address in email_messages(inbox_messages(case_event), email.addresses):
        key = message_id(cause_event_id=envelope.id, recipient=message.recipient, channel="email")
        began = await email.deliveries.begin(
            key,
            recipient=message.recipient,
            address=address,
            case_id=case_id,
            cause_event_id=envelope.id,
            at=datetime.now(UTC),
        )
        if not began:
            log.info("notification.email_already_done", case_id=case_id, recipient=key)
            continue
        try:
            await email.sender.send(address, message.title, message.body, key)
        except TransientError as exc:
            await email.deliveries.note_retry(key, error=str(exc))
            log.warning("notification.email_retry", case_id=case_id, error=str(exc))
            raise
        except PermanentDeliveryError as exc:
            now = datetime.now(UTC)
            failed = NotificationFailed(
                notification_id=key,
                cause_event_id=envelope.id,
                case_id=case_id,
                recipient=message.recipient,
                channel="email",
                error=str(exc),
                failed_at=now,
            )
            await email.deliveries.mark_failed(
                key, at=now, error=str(exc), event=_wrap(failed, key, envelope)
            )
            log.error("notification.email_failed", case_id=case_id, error=str(exc))
            continue
        now = datetime.now(UTC)
        sent = NotificationSent(
            notification_id=key,
            cause_event_id=envelope.id,
            case_id=case_id,
            recipient=message.recipient,
            channel="email",
            sent_at=now,
        )
        await email.deliveries.mark_sent(key, at=now, event=_wrap(sent, key, envelope))
        log.info("notification.email_sent", case_id=case_id, recipient=message.recipient)


def _wrap(event: NotificationSent | NotificationFailed, key: str, cause: Envelope) -> Envelope:
    return Envelope.wrap(event, source=SOURCE, subject=key, correlation_id=cause.correlationid)
