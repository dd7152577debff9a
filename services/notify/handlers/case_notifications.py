"""Tell the recipients of case events: the inbox now, pushes queued for the channel workers.

A run of case events costs a fixed number of store round trips, whatever its length: one read
of preferences, one of residents' contacts, one insert of inbox messages and one of pushes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from services.notify.adapters.address_book import AddressBook
from services.notify.adapters.deliveries import DeliveryRepository, QueuedPush
from services.notify.adapters.inbox_repository import InboxRecord, InboxRepository
from services.notify.adapters.preferences_repository import PreferencesRepository
from services.notify.adapters.resident_contacts import ResidentContacts, language_of
from services.notify.domain.delivery import PushChannel, notification_id
from services.notify.domain.messages import Notification, notifications
from services.notify.domain.preferences import DEFAULT_PREFERENCES, Preferences, send_at
from services.notify.domain.rules import followed_event_types, follower_event_types, recipients
from services.notify.handlers.notification_events import notification_envelope
from shared.dispatch import Event
from shared.events.case_events import CASE_EVENT_TYPES, IMPORT_SOURCE, CaseMerged, CaseSubmitted
from shared.events.envelope import EventData
from shared.events.notification_events import NotificationSent
from shared.logging import get_logger
from shared.mongo import Document

log = get_logger(__name__)

# case.submitted has no recipients; notify reads it to learn whether the resident left a contact.
FOLLOWED: tuple[type[EventData], ...] = tuple(
    CASE_EVENT_TYPES[event_type]
    for event_type in sorted(followed_event_types() | {CaseSubmitted.TYPE})
)
"""The case events notify consumes, all taken by `on_case_events` in one run."""


@dataclass(frozen=True)
class PushQueue:
    """Where the consumer queues pushes: the configured channels and how to address them."""

    channels: frozenset[PushChannel]
    deliveries: DeliveryRepository
    addresses: AddressBook


@dataclass(frozen=True)
class Planned:
    event: Event[EventData]
    case_id: str
    notifications: list[Notification]
    preferences: dict[str, Preferences]


async def on_case_events(
    events: Sequence[Event[EventData]],
    *,
    inbox: InboxRepository,
    preferences: PreferencesRepository,
    contacts: ResidentContacts,
    push: PushQueue,
    zone: tzinfo,
) -> None:
    """A run of events: one read of preferences, one of residents' contacts, one write of the
    inbox messages and one of the queued pushes. Inbox messages are stored first: a resident
    contact that is still on its way (a transient error, retried) must not keep anyone from
    their inbox. A retried run finds what it already stored and skips it."""
    now = datetime.now(UTC)
    live = [
        (event, str(getattr(event.data, "case_id", event.subject)))
        for event in events
        # an imported past case: nobody is told about last year's case
        if event.source != IMPORT_SOURCE
    ]
    if not live:
        return
    await contacts.note_submitted(
        {
            case_id: event.data.has_contact
            for event, case_id in live
            if isinstance(event.data, CaseSubmitted)
        },
        at=now,
    )
    # A merged case's resident follows the surviving case from now on (before this run's
    # answers are addressed: a merge and the answer may arrive in one batch).
    await contacts.follow(
        {
            event.data.case_id: event.data.into_case_id
            for event, _ in live
            if isinstance(event.data, CaseMerged)
        },
        at=now,
    )
    followed = follower_event_types()
    followers = await contacts.followers(
        case_id for event, case_id in live if event.data.TYPE in followed
    )
    found = [
        recipients(event.data, followers=followers.get(case_id, ())) for event, case_id in live
    ]
    stored = await preferences.stored_for(r.address for rs in found for r in rs)
    residents = await contacts.stored(
        r.address.partition(":")[2]
        for rs in found
        for r in rs
        if r.audience in ("case", "follower")
    )
    plans = [
        _plan(
            event,
            case_id,
            stored=stored,
            residents=residents,
            followers=followers.get(case_id, ()),
            zone=zone,
        )
        for event, case_id in live
    ]
    await notify_inboxes(plans, inbox=inbox, now=now)
    await queue_pushes(plans, push=push, residents=residents, now=now)


def _plan(
    event: Event[EventData],
    case_id: str,
    *,
    stored: Mapping[str, Preferences],
    residents: Mapping[str, Document],
    followers: Sequence[str] = (),
    zone: tzinfo,
) -> Planned:
    """Each recipient's words in their language: the one they set as a preference, else (a
    resident) the one they submitted in, else Chinese."""
    found = recipients(event.data, followers=followers)
    languages = {r.address: stored[r.address].language for r in found if r.address in stored}
    for recipient in found:
        if recipient.audience not in ("case", "follower") or recipient.address in stored:
            continue
        language = language_of(residents.get(recipient.address.partition(":")[2]))
        if language is not None:
            languages[recipient.address] = language
    wanted = {r.address: stored.get(r.address, DEFAULT_PREFERENCES) for r in found}
    messages = notifications(event.data, zone=zone, languages=languages, followers=followers)
    return Planned(event, case_id, messages, wanted)


async def notify_inboxes(
    plans: Sequence[Planned], *, inbox: InboxRepository, now: datetime
) -> None:
    """Each recipient gets one inbox message per event, even if the event is redelivered."""
    records: list[InboxRecord] = []
    for plan in plans:
        event = plan.event
        for message in plan.notifications:
            key = notification_id(
                cause_event_id=event.id, recipient=message.recipient, channel="inbox"
            )
            sent = NotificationSent(
                notification_id=key,
                cause_event_id=event.id,
                case_id=plan.case_id,
                recipient=message.recipient,
                channel="inbox",
                sent_at=now,
            )
            records.append(
                InboxRecord(
                    key=key,
                    message=message,
                    case_id=plan.case_id,
                    cause_event_id=event.id,
                    at=now,
                    sent=notification_envelope(sent, key=key, correlation_id=event.correlation_id),
                )
            )
    delivered = await inbox.deliver_many(records)
    for r in records:
        log.info(
            "notification.inbox_delivered"
            if r.key in delivered
            else "notification.already_delivered",
            case_id=r.case_id,
            recipient=r.message.recipient,
            correlation_id=r.sent.correlationid,
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
        event = plan.event
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
                            cause_event_id=event.id, recipient=message.recipient, channel=channel
                        ),
                        channel=channel,
                        notification=message,
                        address=address,
                        case_id=plan.case_id,
                        cause_event_id=event.id,
                        correlation_id=event.correlation_id,
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
