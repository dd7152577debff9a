"""reporting reads four topics: case events, meetings and activities, houses, and the directory.

Each consumer decodes its events through typed routes; the rebuild replays the same topics
through the same routes (`replay=True`), so there is one decoding path."""

from __future__ import annotations

from functools import partial

from services.reporting.adapters.read_models import ReadModels
from services.reporting.domain.case_state import FOLDED
from services.reporting.handlers.duty_records import on_suggestions, replay_suggestions
from services.reporting.handlers.projections import (
    apply_directory_entries,
    on_case_events,
    on_houses,
    on_meetings,
    replay_case_events,
    replay_houses,
    replay_meetings,
)
from shared.consumer import EventConsumer
from shared.dispatch import EventRoutes
from shared.events.activity_events import MeetingRecorded
from shared.events.case_events import CaseSuggestionLinked
from shared.events.directory_events import DirectoryEntryChanged
from shared.events.house_events import HOUSE_EVENT_TYPES
from shared.runtime import ServiceRuntime
from shared.topics import CASE_EVENTS, DIRECTORY, HOUSES, STATION_ACTIVITIES

TOPICS: dict[str, str] = {
    "cases": CASE_EVENTS,
    "activities": STATION_ACTIVITIES,
    "houses": HOUSES,
    "directory": DIRECTORY,
}
"""Each consumer's purpose (group `reporting.<purpose>`) and its topic."""


def projection_routes(read_models: ReadModels, *, replay: bool = False) -> dict[str, EventRoutes]:
    """By purpose, as in `TOPICS`. Live, case events and meetings wait out a rebuild; the
    rebuild itself replays them without waiting."""
    cases, activities, directory = EventRoutes(), EventRoutes(), EventRoutes()
    houses = EventRoutes()
    fold = replay_case_events if replay else on_case_events
    count = replay_meetings if replay else on_meetings
    cases.on_each_of(FOLDED, partial(fold, read_models=read_models))
    suggest = replay_suggestions if replay else on_suggestions
    cases.on(CaseSuggestionLinked, partial(suggest, read_models=read_models))
    activities.on(MeetingRecorded, partial(count, read_models=read_models))
    keep = replay_houses if replay else on_houses
    houses.on_each_of(tuple(HOUSE_EVENT_TYPES.values()), partial(keep, read_models=read_models))
    directory.on(DirectoryEntryChanged, partial(apply_directory_entries, read_models=read_models))
    return {"cases": cases, "activities": activities, "houses": houses, "directory": directory}


def consumers(runtime: ServiceRuntime, read_models: ReadModels) -> dict[str, EventConsumer]:
    """By name: `cases` (group reporting.cases), `activities`, `houses`, `directory`."""
    return {
        purpose: runtime.consumer(purpose=purpose, topic=TOPICS[purpose], routes=routes)
        for purpose, routes in projection_routes(read_models).items()
    }
