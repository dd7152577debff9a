"""reporting folds every case event into its counters."""

from __future__ import annotations

from services.reporting.adapters.read_models import ReadModels
from services.reporting.handlers import on_case_events
from shared.consumer import EventConsumer
from shared.events.case_events import CASE_EVENT_TYPES
from shared.runtime import ServiceRuntime
from shared.topics import CASE_EVENTS


def case_events_consumer(runtime: ServiceRuntime, read_models: ReadModels) -> EventConsumer:
    return EventConsumer(
        settings=runtime.settings,
        metrics=runtime.metrics,
        publisher=runtime.publisher,
        purpose="cases",
        topics=[CASE_EVENTS],
        event_types=frozenset(CASE_EVENT_TYPES),
        handler=lambda events: on_case_events(events, read_models=read_models),
    )
