"""intake listens to case events (the resident's view) and to the directory (its copy)."""

from __future__ import annotations

from services.intake.adapters.case_repository import CaseRepository
from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.handlers import on_case_events, on_directory_events
from shared.consumer import EventConsumer
from shared.events.case_events import CASE_EVENT_TYPES, CaseSubmitted
from shared.events.directory_events import DirectoryEntryChanged
from shared.runtime import ServiceRuntime
from shared.topics import CASE_EVENTS, DIRECTORY

# Every case event but intake's own `case.submitted`.
FOLLOWED_EVENT_TYPES = frozenset(CASE_EVENT_TYPES) - {CaseSubmitted.TYPE}


def directory_consumer(runtime: ServiceRuntime, directory: DirectoryCopy) -> EventConsumer:
    return EventConsumer(
        settings=runtime.settings,
        metrics=runtime.metrics,
        publisher=runtime.publisher,
        purpose="directory",
        topics=[DIRECTORY],
        event_types=frozenset({DirectoryEntryChanged.TYPE}),
        handler=lambda events: on_directory_events(events, directory=directory),
    )


def case_events_consumer(runtime: ServiceRuntime, cases: CaseRepository) -> EventConsumer:
    return EventConsumer(
        settings=runtime.settings,
        metrics=runtime.metrics,
        publisher=runtime.publisher,
        purpose="cases",
        topics=[CASE_EVENTS],
        event_types=FOLLOWED_EVENT_TYPES,
        handler=lambda events: on_case_events(events, cases=cases),
    )
