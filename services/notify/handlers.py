"""notify's use cases: tell the recipients of a case event (inbox now, pushes queued), and
deliver one queued push."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from services.notify.adapters.address_book import AddressBook
from services.notify.adapters.dead_letters import DeliveryDeadLetters
from services.notify.adapters.deliveries import Delivery, DeliveryRepository, QueuedPush
from services.notify.adapters.inbox_repository import InboxMessage, InboxRepository
from services.notify.adapters.preferences_repository import PreferencesRepository
from services.notify.adapters.resident_contacts import ResidentContacts, language_of
from services.notify.domain.delivery import (
    PermanentDeliveryError,
    PushChannel,
    backoff_seconds,
    notification_id,
)
from services.notify.domain.messages import Notification, notifications
from services.notify.domain.preferences import DEFAULT_PREFERENCES, Preferences, send_at
from services.notify.domain.rules import followed_event_types, recipients
from shared.consumer import ConsumedEvent
from shared.errors import TransientError
from shared.events.case_events import CASE_EVENT_TYPES, IMPORT_SOURCE, CaseSubmitted
from shared.events.envelope import Envelope, EventData
from shared.events.notification_events import NotificationFailed, NotificationSent
from shared.events.resident_events import ResidentContactGiven
from shared.logging import get_logger
from shared.mongo import Document

log = get_logger(__name__)

SOURCE = "minyi/notify"
# case.submitted has no recipients; notify reads it to learn whether the resident left a contact.
FOLLOWED = followed_event_types() | {CaseSubmitted.TYPE}


@dataclass(frozen=True)
class PushQueue:
    """Where the consumer queues pushes: the configured channels and how to address them."""

    channels: frozenset[PushChannel]
    deliveries: DeliveryRepository
    addresses: AddressBook


@dataclass(frozen=True)
class Planned:
    envelope: Envelope
    case_id: str
    notifications: list[Notification]
    preferences: dict[str, Preferences]


async def on_case_events(
    events: Sequence[ConsumedEvent],
    *,
    inbox: InboxRepository,
    preferences: PreferencesRepository,
    contacts: ResidentContacts,
    push: PushQueue,
) -> None:
    """A polled batch: one read of preferences, one of residents' contacts, one write of the
    inbox messages and one of the queued pushes. Inbox messages are stored first: a resident
    contact that is still on its way (a transient error, retried) must not keep anyone from
    their inbox. A retried batch finds what it already stored and skips it."""
    now = datetime.now(UTC)
    decoded: list[tuple[Envelope, EventData, str]] = []
    for event in events:
        envelope = event.envelope
        if envelope.source == IMPORT_SOURCE:
            continue  # an imported past case: nobody is told about last year's case
        case_event = envelope.payload(CASE_EVENT_TYPES[envelope.type])
        decoded.append(
            (envelope, case_event, str(getattr(case_event, "case_id", envelope.subject)))
        )
    if not decoded:
        return
    await contacts.note_submitted(
        {
            case_id: case_event.has_contact
            for _, case_event, case_id in decoded
            if isinstance(case_event, CaseSubmitted)
        },
        at=now,
    )
    found = [recipients(case_event) for _, case_event, _ in decoded]
    stored = await preferences.stored_for(r.address for rs in found for r in rs)
    residents = await contacts.stored(
        r.address.partition(":")[2] for rs in found for r in rs if r.audience == "case"
    )
    plans = [
        _plan(envelope, case_event, case_id, stored=stored, residents=residents)
        for envelope, case_event, case_id in decoded
    ]
    await notify_inboxes(plans, inbox=inbox, now=now)
    await queue_pushes(plans, push=push, residents=residents, now=now)


def _plan(
    envelope: Envelope,
    case_event: EventData,
    case_id: str,
    *,
    stored: Mapping[str, Preferences],
    residents: Mapping[str, Document],
) -> Planned:
    """Each recipient's words in their language: the one they set as a preference, else (a
    resident) the one they submitted in, else Chinese."""
    found = recipients(case_event)
    languages = {r.address: stored[r.address].language for r in found if r.address in stored}
    for recipient in found:
        if recipient.audience != "case" or recipient.address in stored:
            continue
        language = language_of(residents.get(recipient.address.partition(":")[2]))
        if language is not None:
            languages[recipient.address] = language
    wanted = {r.address: stored.get(r.address, DEFAULT_PREFERENCES) for r in found}
    return Planned(envelope, case_id, notifications(case_event, languages=languages), wanted)


async def notify_inboxes(
    plans: Sequence[Planned], *, inbox: InboxRepository, now: datetime
) -> None:
    """Each recipient gets one inbox message per event, even if the event is redelivered."""
    messages: list[InboxMessage] = []
    for plan in plans:
        envelope = plan.envelope
        for message in plan.notifications:
            key = notification_id(
                cause_event_id=envelope.id, recipient=message.recipient, channel="inbox"
            )
            sent = NotificationSent(
                notification_id=key,
                cause_event_id=envelope.id,
                case_id=plan.case_id,
                recipient=message.recipient,
                channel="inbox",
                sent_at=now,
            )
            messages.append(
                InboxMessage(
                    key=key,
                    message=message,
                    case_id=plan.case_id,
                    cause_event_id=envelope.id,
                    at=now,
                    sent=_wrap(sent, key, envelope.correlationid),
                )
            )
    delivered = await inbox.deliver_many(messages)
    for m in messages:
        log.info(
            "notification.inbox_delivered"
            if m.key in delivered
            else "notification.already_delivered",
            case_id=m.case_id,
            recipient=m.message.recipient,
            correlation_id=m.sent.correlationid,
        )


async def queue_pushes(
    plans: Sequence[Planned],
    *,
    push: PushQueue,
    residents: Mapping[str, Document],
    now: datetime,
) -> None:
    """One pending delivery per recipient and push channel that applies; the channel workers
    send them. Nothing here waits on a mail server or gateway."""
    queued: list[QueuedPush] = []
    for plan in plans:
        envelope = plan.envelope
        for message in plan.notifications:
            wanted = plan.preferences[message.recipient]
            for channel in message.push:
                if channel not in push.channels or not wanted.channels.allows(channel):
                    continue
                address = push.addresses.address_in(
                    message.recipient, channel, residents=residents, now=now
                )
                if address is None:
                    continue
                queued.append(
                    QueuedPush(
                        key=notification_id(
                            cause_event_id=envelope.id, recipient=message.recipient, channel=channel
                        ),
                        channel=channel,
                        notification=message,
                        address=address,
                        case_id=plan.case_id,
                        cause_event_id=envelope.id,
                        correlation_id=envelope.correlationid,
                        due=send_at(now, wanted, urgent=message.urgent),
                        at=now,
                    )
                )
    added = await push.deliveries.add_many(queued)
    for q in queued:
        log.info(
            "notification.push_queued" if q.key in added else "notification.push_already_queued",
            case_id=q.case_id,
            channel=q.channel,
            recipient=q.notification.recipient,
            delayed_s=round((q.due - now).total_seconds()),
            correlation_id=q.correlation_id,
        )


async def on_resident_contacts(
    events: Sequence[ConsumedEvent], *, contacts: ResidentContacts
) -> None:
    for event in events:
        given = event.envelope.payload(ResidentContactGiven)
        await contacts.record(
            given.case_id,
            phone=given.phone,
            email=given.email,
            language=given.language,
            at=datetime.now(UTC),
        )


class Sender(Protocol):
    async def send(self, delivery: Delivery) -> None:
        """Deliver, or raise `TransientError` (try later) / `PermanentDeliveryError`."""


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
) -> None:
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
            return
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
            delivery, at=now, event=_wrap(sent, delivery.id, delivery.correlation_id)
        )
        log.info("notification.push_sent", attempts=delivery.attempts, recorded=recorded, **context)
        return
    now = datetime.now(UTC)
    failed = _wrap(
        NotificationFailed(
            notification_id=delivery.id,
            cause_event_id=delivery.cause_event_id,
            case_id=delivery.case_id,
            recipient=delivery.recipient,
            channel=delivery.channel,
            error=error,
            failed_at=now,
        ),
        delivery.id,
        delivery.correlation_id,
    )
    # Dead letter first: a crash before the "failed" write retries the delivery (same
    # Idempotency-Key) and dead-letters again, rather than marking it failed unannounced.
    await dead_letters.publish(failed, delivery=delivery, error=error, error_type=error_type)
    await deliveries.mark_failed(delivery, at=now, error=error, event=failed)
    log.error("notification.push_failed", attempts=delivery.attempts, error=error, **context)


def _wrap(event: NotificationSent | NotificationFailed, key: str, correlation_id: str) -> Envelope:
    return Envelope.wrap(event, source=SOURCE, subject=key, correlation_id=correlation_id)
