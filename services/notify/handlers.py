"""notify's use cases: tell the recipients of a case event (inbox now, pushes queued), and
deliver one queued push."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from services.notify.adapters.address_book import AddressBook
from services.notify.adapters.dead_letters import DeliveryDeadLetters
from services.notify.adapters.deliveries import Delivery, DeliveryRepository
from services.notify.adapters.inbox_repository import InboxRepository
from services.notify.adapters.preferences_repository import PreferencesRepository
from services.notify.adapters.resident_contacts import ContactPending, ResidentContacts
from services.notify.domain.delivery import (
    PermanentDeliveryError,
    PushChannel,
    backoff_seconds,
    notification_id,
)
from services.notify.domain.messages import Notification, notifications
from services.notify.domain.preferences import DEFAULT_PREFERENCES, Preferences, send_at
from services.notify.domain.rules import followed_event_types, recipients
from shared.consumer import ConsumedEvent, bound_event_context
from shared.errors import TransientError
from shared.events.case_events import CASE_EVENT_TYPES, CaseSubmitted
from shared.events.envelope import Envelope, EventData
from shared.events.notification_events import NotificationFailed, NotificationSent
from shared.events.resident_events import ResidentContactGiven
from shared.logging import get_logger

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
    # Residents whose words were chosen before their contact (and so their language) was here.
    language_unknown: frozenset[str] = frozenset()


async def on_case_events(
    events: Sequence[ConsumedEvent],
    *,
    inbox: InboxRepository,
    preferences: PreferencesRepository,
    contacts: ResidentContacts,
    push: PushQueue,
) -> None:
    """Inbox messages for the whole batch first, then the pushes: a resident contact that is
    still on its way (a transient error, retried) must not keep anyone from their inbox. A
    retried batch finds what it already stored and skips it."""
    planned: list[Planned] = []
    for event in events:
        with bound_event_context(event):
            envelope = event.envelope
            case_event = envelope.payload(CASE_EVENT_TYPES[envelope.type])
            case_id = str(getattr(case_event, "case_id", envelope.subject))
            if isinstance(case_event, CaseSubmitted):
                await contacts.note_submitted(
                    case_id, has_contact=case_event.has_contact, at=datetime.now(UTC)
                )
            plan = await _plan(
                envelope, case_event, case_id, preferences=preferences, contacts=contacts
            )
            await notify_inboxes(plan, inbox=inbox)
            planned.append(plan)
    for plan in planned:
        await queue_pushes(plan, push=push)


async def _plan(
    envelope: Envelope,
    case_event: EventData,
    case_id: str,
    *,
    preferences: PreferencesRepository,
    contacts: ResidentContacts,
) -> Planned:
    """Each recipient's words in their language: the one they set as a preference, else (a
    resident) the one they submitted in, else Chinese."""
    found = recipients(case_event)
    stored = await preferences.stored_for(r.address for r in found)
    languages = {address: p.language for address, p in stored.items()}
    unknown: set[str] = set()
    for recipient in found:
        if recipient.audience != "case" or recipient.address in stored:
            continue
        _, _, resident_case = recipient.address.partition(":")
        language = await contacts.language(resident_case)
        if language is None:
            unknown.add(recipient.address)
        else:
            languages[recipient.address] = language
    wanted = {r.address: stored.get(r.address, DEFAULT_PREFERENCES) for r in found}
    return Planned(
        envelope,
        case_id,
        notifications(case_event, languages=languages),
        wanted,
        language_unknown=frozenset(unknown),
    )


async def notify_inboxes(plan: Planned, *, inbox: InboxRepository) -> None:
    """Each recipient gets one inbox message for this event, even if it is redelivered."""
    envelope = plan.envelope
    for message in plan.notifications:
        key = notification_id(
            cause_event_id=envelope.id, recipient=message.recipient, channel="inbox"
        )
        now = datetime.now(UTC)
        sent = NotificationSent(
            notification_id=key,
            cause_event_id=envelope.id,
            case_id=plan.case_id,
            recipient=message.recipient,
            channel="inbox",
            sent_at=now,
        )
        delivered = await inbox.deliver(
            message=message,
            message_key=key,
            case_id=plan.case_id,
            cause_event_id=envelope.id,
            at=now,
            sent=_wrap(sent, key, envelope.correlationid),
        )
        log.info(
            "notification.inbox_delivered" if delivered else "notification.already_delivered",
            case_id=plan.case_id,
            event_type=envelope.type,
            recipient=message.recipient,
        )


async def queue_pushes(plan: Planned, *, push: PushQueue) -> None:
    """One pending delivery per recipient and push channel that applies; the channel workers
    send them. Nothing here waits on a mail server or gateway."""
    envelope = plan.envelope
    for message in plan.notifications:
        wanted = plan.preferences[message.recipient]
        for channel in message.push:
            if channel not in push.channels or not wanted.channels.allows(channel):
                continue
            now = datetime.now(UTC)
            address = await push.addresses.address(message.recipient, channel, now=now)
            if address is None:
                continue
            if message.recipient in plan.language_unknown:
                # The contact came in after the words were chosen: choose them again.
                raise ContactPending(f"contact of {message.recipient} arrived while planning")
            key = notification_id(
                cause_event_id=envelope.id, recipient=message.recipient, channel=channel
            )
            due = send_at(now, wanted, urgent=message.urgent)
            queued = await push.deliveries.add(
                key=key,
                channel=channel,
                notification=message,
                address=address,
                case_id=plan.case_id,
                cause_event_id=envelope.id,
                correlation_id=envelope.correlationid,
                due=due,
                at=now,
            )
            log.info(
                "notification.push_queued" if queued else "notification.push_already_queued",
                case_id=plan.case_id,
                channel=channel,
                recipient=message.recipient,
                delayed_s=round((due - now).total_seconds()),
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
