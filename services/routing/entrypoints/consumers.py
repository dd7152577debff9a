"""routing listens to case events: new cases are routed (a run of them together), the
resident's ratings, answers and reopenings are recorded on routing's case, and an erasure of the
resident's data scrubs it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TypeVar

from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.adapters.erasure import RoutedCaseErasure
from services.routing.domain.sla import SlaRules
from services.routing.handlers.assignment import assign_cases
from services.routing.handlers.erasure import on_erasures
from services.routing.handlers.messages import on_resident_messages
from services.routing.handlers.resident_feedback import on_ratings, on_reopenings
from services.routing.handlers.supporters import on_supported
from shared.consumer import EventConsumer
from shared.dispatch import Event, EventRoutes
from shared.events.case_events import (
    CaseErased,
    CaseMessageSent,
    CaseRated,
    CaseReopened,
    CaseSubmitted,
    CaseSupported,
)
from shared.events.envelope import EventData
from shared.outbox import OutboxRelay
from shared.runtime import ServiceRuntime
from shared.topics import CASE_EVENTS

T = TypeVar("T", bound=EventData)
Handler = Callable[[Sequence[Event[T]]], Awaitable[None]]


def case_event_routes(
    *,
    cases: RoutedCaseRepository,
    directory: DirectoryRepository,
    relay: OutboxRelay,
    sla: SlaRules,
) -> EventRoutes:
    """Which handler takes which case event; the relay is woken after each run handled."""

    def waking(handler: Handler[T]) -> Handler[T]:
        async def handle(events: Sequence[Event[T]]) -> None:
            await handler(events)
            relay.wake()

        return handle

    async def new_cases(events: Sequence[Event[CaseSubmitted]]) -> None:
        await assign_cases(events, cases=cases, directory=directory, sla=sla)

    async def ratings(events: Sequence[Event[CaseRated]]) -> None:
        await on_ratings(events, cases=cases)

    async def answers(events: Sequence[Event[CaseMessageSent]]) -> None:
        await on_resident_messages(events, cases=cases)

    async def reopenings(events: Sequence[Event[CaseReopened]]) -> None:
        await on_reopenings(events, cases=cases, directory=directory, sla=sla)

    erasure = RoutedCaseErasure(cases.collection)

    async def erasures(events: Sequence[Event[CaseErased]]) -> None:
        await on_erasures(events, erasures=erasure)

    routes = EventRoutes()
    routes.on(CaseSubmitted, waking(new_cases))
    routes.on(CaseRated, waking(ratings))
    routes.on(CaseMessageSent, waking(answers))
    routes.on(CaseReopened, waking(reopenings))
    routes.on(CaseSupported, partial(on_supported, cases=cases))
    routes.on(CaseErased, erasures)
    return routes


def case_events_consumer(
    runtime: ServiceRuntime,
    *,
    cases: RoutedCaseRepository,
    directory: DirectoryRepository,
    relay: OutboxRelay,
    sla: SlaRules,
) -> EventConsumer:
    return runtime.consumer(
        purpose="cases",
        topic=CASE_EVENTS,
        routes=case_event_routes(cases=cases, directory=directory, relay=relay, sla=sla),
    )
