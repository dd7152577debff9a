"""notify listens to case events and tells the people concerned."""

from __future__ import annotations

from collections.abc import Sequence

from services.notify.adapters.inbox_repository import InboxRepository
from services.notify.handlers import FOLLOWED, EmailChannel, on_case_events
from shared.consumer import ConsumedEvent, EventConsumer
from shared.outbox import OutboxRelay
from shared.runtime import ServiceRuntime
from shared.topics import CASE_EVENTS


def case_events_consumer(
    runtime: ServiceRuntime,
    *,
    inbox: InboxRepository,
    relay: OutboxRelay,
    email: EmailChannel | None = None,
) -> EventConsumer:
    async def handle(events: Sequence[ConsumedEvent]) -> None:
        try:
            await on_case_events(events, inbox=inbox, email=email)
        finally:
            # Inbox messages stored before an email failure go out now, not at the next poll.
            relay.wake()

    return EventConsumer(
        settings=runtime.settings,
        metrics=runtime.metrics,
        publisher=runtime.publisher,
        purpose="cases",
        topics=[CASE_EVENTS],
        event_types=FOLLOWED,
        handler=handle,
    )
