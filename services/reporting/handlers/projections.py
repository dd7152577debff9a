"""Folding case events, meetings, houses and directory entries into the read models, a run of
events at a time with a fixed number of store round trips whatever its length.

The live consumers call `on_*`: they pause while a rebuild replays (a case's events must be
folded in order, and the replay starts from the beginning). The rebuild replays through
`replay_*`, the same folding without the pause."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from services.reporting.adapters.read_models import ReadModels, StoredCase, token
from services.reporting.domain.activities import meeting_contributions
from services.reporting.domain.case_state import CaseEvent, CaseState, apply_event, folds
from services.reporting.domain.contributions import Contribution
from services.reporting.domain.house_repair import newest
from shared.dispatch import Event
from shared.errors import TransientError
from shared.events.activity_events import MeetingRecorded
from shared.events.directory_events import DirectoryEntryChanged
from shared.events.envelope import EventData
from shared.events.house_events import HouseEvent
from shared.logging import get_logger

log = get_logger(__name__)

NAMED_KINDS = frozenset({"station", "representative", "category", "liaison_point"})


async def wait_for_rebuild(read_models: ReadModels) -> None:
    """Retried by the consumer with backoff until the rebuild is done."""
    if await read_models.rebuilding(now=datetime.now(UTC)):
        raise TransientError("a rebuild of the read models is in progress")


def case_of(event: Event[EventData]) -> str:
    """Every case event names its case in its data (the subject too, by convention)."""
    data = event.data
    return (data.case_id if isinstance(data, CaseEvent) else "") or event.subject


async def apply_case_events(events: Sequence[Event[EventData]], *, read_models: ReadModels) -> int:
    """Fold a run (in partition order) into the cases and the daily buckets: one read of the
    run's cases, one write of the buckets, one of the cases.

    Buckets are written before the cases: after a crash in between, the redelivered events are
    folded again from the same stored state, give the same contributions, and the buckets'
    `seen` guard drops them. Once the cases are saved, the cases' `applied` drops a redelivery
    before it reaches a bucket, so the buckets' tokens of this run may go (`settle`). Returns
    how many contributions were new."""
    relevant = [e for e in events if folds(e.data)]
    if not relevant:
        return 0
    stored = await read_models.cases(case_of(e) for e in relevant)
    states: dict[str, CaseState] = {}
    applied: dict[str, list[str]] = {}
    changes: list[tuple[str, Contribution]] = []
    for event in relevant:
        case_id = case_of(event)
        before = stored.get(case_id)
        event_token = token("e", event.id)
        if (before and event_token in before.applied) or event_token in applied.get(case_id, []):
            continue
        state = states.get(case_id) or (before.state if before else CaseState(case_id=case_id))
        after, contributions = apply_event(state, event.data, zone=read_models.zone)
        states[case_id] = after
        applied.setdefault(case_id, []).append(event_token)
        changes.extend((event_token, c) for c in contributions)
    new = await read_models.add(changes)
    await read_models.save_cases(
        [
            (stored.get(case_id) or StoredCase(state, frozenset(), None), state, applied[case_id])
            for case_id, state in states.items()
        ]
    )
    read_models.settle(changes)
    return new


async def on_case_events(events: Sequence[Event[EventData]], *, read_models: ReadModels) -> None:
    await wait_for_rebuild(read_models)
    new = await apply_case_events(events, read_models=read_models)
    log.info("reporting.cases_folded", events=len(events), new=new)


async def replay_case_events(
    events: Sequence[Event[EventData]], *, read_models: ReadModels
) -> None:
    await apply_case_events(events, read_models=read_models)


async def apply_meetings(
    events: Sequence[Event[MeetingRecorded]], *, read_models: ReadModels
) -> int:
    """A meeting counts once per meeting id, however often it is published: one write."""
    changes: list[tuple[str, Contribution]] = []
    for event in events:
        meeting = event.data
        changes.extend((token("m", meeting.meeting_id), c) for c in meeting_contributions(meeting))
    return await read_models.add(changes)


async def on_meetings(events: Sequence[Event[MeetingRecorded]], *, read_models: ReadModels) -> None:
    await wait_for_rebuild(read_models)
    new = await apply_meetings(events, read_models=read_models)
    log.info("reporting.activities_counted", events=len(events), new=new)


async def replay_meetings(
    events: Sequence[Event[MeetingRecorded]], *, read_models: ReadModels
) -> None:
    await apply_meetings(events, read_models=read_models)


async def apply_houses(events: Sequence[Event[EventData]], *, read_models: ReadModels) -> int:
    """Each house's newest figures (by its version): one write per house of the run, and a
    house with several cases is still one house."""
    found = newest(e.data for e in events if isinstance(e.data, HouseEvent))
    return await read_models.save_houses(found)


async def on_houses(events: Sequence[Event[EventData]], *, read_models: ReadModels) -> None:
    await wait_for_rebuild(read_models)
    new = await apply_houses(events, read_models=read_models)
    log.info("reporting.houses_counted", events=len(events), new=new)


async def replay_houses(events: Sequence[Event[EventData]], *, read_models: ReadModels) -> None:
    await apply_houses(events, read_models=read_models)


async def apply_directory_entries(
    events: Sequence[Event[DirectoryEntryChanged]], *, read_models: ReadModels
) -> None:
    """Names only (and a representative's or point's station): never contacts."""
    entries: list[tuple[str, str, dict[str, str], datetime]] = []
    for event in events:
        changed = event.data
        if changed.kind not in NAMED_KINDS:
            continue
        fields = {
            name: str(changed.entry[name])
            for name in ("name", "name_en", "station")
            if isinstance(changed.entry.get(name), str)
        }
        entries.append((changed.kind, changed.key, fields, event.time))
    await read_models.save_names(entries)
