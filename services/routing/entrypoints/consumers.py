"""routing listens to new cases and assigns them."""

from __future__ import annotations

from collections.abc import Sequence

from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.handlers import SlaRules, on_case_events
from shared.consumer import ConsumedEvent, EventConsumer
from shared.events.case_events import CaseMessageSent, CaseRated, CaseReopened, CaseSubmitted
from shared.outbox import OutboxRelay
from shared.runtime import ServiceRuntime
from shared.topics import CASE_EVENTS


def case_events_consumer(
    runtime: ServiceRuntime,
    *,
    cases: RoutedCaseRepository,
    directory: DirectoryRepository,
    relay: OutboxRelay,
    sla: SlaRules,
) -> EventConsumer:
    async def handle(events: Sequence[ConsumedEvent]) -> None:
        await on_case_events(events, cases=cases, directory=directory, sla=sla)
        relay.wake()

    return EventConsumer(
        settings=runtime.settings,
        metrics=runtime.metrics,
        publisher=runtime.publisher,
        purpose="cases",
        topics=[CASE_EVENTS],
        event_types=frozenset(
            {CaseSubmitted.TYPE, CaseRated.TYPE, CaseReopened.TYPE, CaseMessageSent.TYPE}
        ),
        handler=handle,
    )
