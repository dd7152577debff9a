"""reporting reads three topics: case events, meetings and activities, and the directory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from services.reporting.adapters.read_models import ReadModels
from services.reporting.handlers import (
    apply_directory_events,
    on_activity_events,
    on_case_events,
)
from shared.consumer import ConsumedEvent, EventConsumer
from shared.events.activity_events import ACTIVITY_EVENT_TYPES
from shared.events.case_events import CASE_EVENT_TYPES
from shared.events.directory_events import DirectoryEntryChanged
from shared.events.envelope import Envelope
from shared.runtime import ServiceRuntime
from shared.topics import CASE_EVENTS, DIRECTORY, STATION_ACTIVITIES

EnvelopeHandler = Callable[[Sequence[Envelope]], Awaitable[object]]


def _envelopes(handle: EnvelopeHandler) -> Callable[[Sequence[ConsumedEvent]], Awaitable[None]]:
    async def run(events: Sequence[ConsumedEvent]) -> None:
        await handle([e.envelope for e in events])

    return run


def consumers(runtime: ServiceRuntime, read_models: ReadModels) -> dict[str, EventConsumer]:
    """By name: `cases` (group reporting.cases), `activities`, `directory`."""
    specs: dict[str, tuple[str, frozenset[str], EnvelopeHandler]] = {
        "cases": (
            CASE_EVENTS,
            frozenset(CASE_EVENT_TYPES),
            lambda e: on_case_events(e, read_models=read_models),
        ),
        "activities": (
            STATION_ACTIVITIES,
            frozenset(ACTIVITY_EVENT_TYPES),
            lambda e: on_activity_events(e, read_models=read_models),
        ),
        "directory": (
            DIRECTORY,
            frozenset({DirectoryEntryChanged.TYPE}),
            lambda e: apply_directory_events(e, read_models=read_models),
        ),
    }
    return {
        purpose: EventConsumer(
            settings=runtime.settings,
            metrics=runtime.metrics,
            publisher=runtime.publisher,
            purpose=purpose,
            topics=[topic],
            event_types=types,
            handler=_envelopes(handle),
        )
        for purpose, (topic, types, handle) in specs.items()
    }
