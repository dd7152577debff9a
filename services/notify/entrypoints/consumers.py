"""notify listens to case events (and residents' contacts) and tells the people concerned."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from services.notify.adapters.inbox_repository import InboxRepository
from services.notify.adapters.preferences_repository import PreferencesRepository
from services.notify.adapters.resident_contacts import ResidentContacts
from services.notify.handlers import FOLLOWED, PushQueue, on_case_events, on_resident_contacts
from shared.consumer import ConsumedEvent, EventConsumer
from shared.events.resident_events import ResidentContactGiven
from shared.outbox import OutboxRelay
from shared.runtime import ServiceRuntime
from shared.topics import CASE_EVENTS, RESIDENT_CONTACTS


def case_events_consumer(
    runtime: ServiceRuntime,
    *,
    inbox: InboxRepository,
    preferences: PreferencesRepository,
    contacts: ResidentContacts,
    push: PushQueue,
    relay: OutboxRelay,
    wake_workers: Callable[[], None],
) -> EventConsumer:
    async def handle(events: Sequence[ConsumedEvent]) -> None:
        try:
            await on_case_events(
                events, inbox=inbox, preferences=preferences, contacts=contacts, push=push
            )
        finally:
            # What was stored before an error goes out now, not at the next poll.
            relay.wake()
            wake_workers()

    return EventConsumer(
        settings=runtime.settings,
        metrics=runtime.metrics,
        publisher=runtime.publisher,
        purpose="cases",
        topics=[CASE_EVENTS],
        event_types=FOLLOWED,
        handler=handle,
    )


def resident_contacts_consumer(
    runtime: ServiceRuntime, *, contacts: ResidentContacts
) -> EventConsumer:
    async def handle(events: Sequence[ConsumedEvent]) -> None:
        await on_resident_contacts(events, contacts=contacts)

    return EventConsumer(
        settings=runtime.settings,
        metrics=runtime.metrics,
        publisher=runtime.publisher,
        purpose="contacts",
        topics=[RESIDENT_CONTACTS],
        event_types=frozenset({ResidentContactGiven.TYPE}),
        handler=handle,
    )
