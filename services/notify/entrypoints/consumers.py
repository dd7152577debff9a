"""notify listens to case events (and residents' contacts) and tells the people concerned; an
erasure of a resident's data (`case.erased`, or the contact's tombstone) scrubs what it kept."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from services.notify.adapters.erasure import ContactErasure
from services.notify.adapters.inbox_repository import InboxRepository
from services.notify.adapters.preferences_repository import PreferencesRepository
from services.notify.adapters.resident_contacts import ResidentContacts
from services.notify.handlers.case_notifications import FOLLOWED, PushQueue, on_case_events
from services.notify.handlers.erasure import on_contact_tombstone, on_erasures
from services.notify.handlers.resident_contacts import on_resident_contacts
from shared.consumer import EventConsumer
from shared.dispatch import Event, EventRoutes
from shared.events.case_events import CaseErased
from shared.events.envelope import EventData
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
    erasures: ContactErasure,
) -> EventConsumer:
    async def handle(events: Sequence[Event[EventData]]) -> None:
        try:
            await on_case_events(
                events,
                inbox=inbox,
                preferences=preferences,
                contacts=contacts,
                push=push,
                zone=runtime.settings.zone,
            )
        finally:
            # What was stored before an error goes out now, not at the next poll.
            relay.wake()
            wake_workers()

    routes = EventRoutes()
    # One handler over every followed type: a polled batch stays one run, read and written
    # in bulk.
    routes.on_each_of(FOLLOWED, handle)
    routes.on(CaseErased, partial(on_erasures, erasures=erasures))
    return runtime.consumer(purpose="cases", topic=CASE_EVENTS, routes=routes)


def resident_contacts_consumer(
    runtime: ServiceRuntime, *, contacts: ResidentContacts, erasures: ContactErasure
) -> EventConsumer:
    async def handle(events: Sequence[Event[ResidentContactGiven]]) -> None:
        await on_resident_contacts(events, contacts=contacts)

    routes = EventRoutes()
    routes.on(ResidentContactGiven, handle)
    # The topic is compacted: intake erases a contact with a tombstone (its key, no value).
    return runtime.consumer(
        purpose="contacts",
        topic=RESIDENT_CONTACTS,
        routes=routes,
        on_tombstone=partial(on_contact_tombstone, erasures=erasures),
    )
