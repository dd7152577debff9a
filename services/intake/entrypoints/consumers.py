"""intake listens to case events (the resident's view) and to the directory (its copy)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from services.intake.adapters.case_repository import CaseRepository
from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.handlers.case_events import on_case_events
from services.intake.handlers.directory import on_directory_events
from shared.consumer import EventConsumer
from shared.dispatch import EventRoutes
from shared.events.case_events import CASE_EVENT_TYPES, CaseSubmitted
from shared.events.directory_events import DirectoryEntryChanged
from shared.events.envelope import EventData
from shared.runtime import ServiceRuntime
from shared.topics import CASE_EVENTS, DIRECTORY

# Every case event but intake's own `case.submitted`, folded in order as one mixed run.
FOLLOWED_EVENTS: Sequence[type[EventData]] = tuple(
    model for model in CASE_EVENT_TYPES.values() if model is not CaseSubmitted
)


def directory_consumer(runtime: ServiceRuntime, directory: DirectoryCopy) -> EventConsumer:
    routes = EventRoutes()
    routes.on(DirectoryEntryChanged, partial(on_directory_events, directory=directory))
    return runtime.consumer(purpose="directory", topic=DIRECTORY, routes=routes)


def case_events_consumer(runtime: ServiceRuntime, cases: CaseRepository) -> EventConsumer:
    routes = EventRoutes()
    routes.on_each_of(FOLLOWED_EVENTS, partial(on_case_events, cases=cases))
    return runtime.consumer(purpose="cases", topic=CASE_EVENTS, routes=routes)
