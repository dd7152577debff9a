"""reporting's use cases: fold case events, meetings and directory entries into read models."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from services.reporting.adapters.read_models import ReadModels, StoredCase, token
from services.reporting.domain.activities import meeting_contributions
from services.reporting.domain.case_state import CaseState, apply_event, handles
from services.reporting.domain.contributions import Contribution
from shared.errors import TransientError
from shared.events.activity_events import MeetingRecorded
from shared.events.directory_events import DirectoryEntryChanged
from shared.events.envelope import Envelope
from shared.logging import get_logger

log = get_logger(__name__)

NAMED_KINDS = frozenset({"station", "representative", "category", "liaison_point"})


async def wait_for_rebuild(read_models: ReadModels) -> None:
    """The live consumers pause while a rebuild replays: a case's events must be folded in
    order, and the replay starts from the beginning. Retried by the consumer with backoff."""
    if await read_models.rebuilding(now=datetime.now(UTC)):
        raise TransientError("a rebuild of the read models is in progress")


def case_of(envelope: Envelope) -> str:
    """Every case event names its case in its data (the subject too, by convention)."""
    return str(envelope.data.get("case_id") or envelope.subject)


async def apply_case_events(envelopes: Sequence[Envelope], *, read_models: ReadModels) -> int:
    """Fold a batch (in partition order) into the cases and the daily buckets.

    Buckets are written before the cases: after a crash in between, the redelivered events are
    folded again from the same stored state, give the same contributions, and the buckets'
    `seen` guard drops them. Returns how many contributions were new."""
    relevant = [e for e in envelopes if handles(e.type)]
    if not relevant:
        return 0
    stored = await read_models.cases(case_of(e) for e in relevant)
    states: dict[str, CaseState] = {}
    applied: dict[str, list[str]] = {}
    changes: list[tuple[str, Contribution]] = []
    for envelope in relevant:
        case_id = case_of(envelope)
        before = stored.get(case_id)
        event_token = token("e", envelope.id)
        if (before and event_token in before.applied) or event_token in applied.get(case_id, []):
            continue
        state = states.get(case_id) or (before.state if before else None)
        after, contributions = apply_event(state, envelope)
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
    return new


async def on_case_events(envelopes: Sequence[Envelope], *, read_models: ReadModels) -> None:
    await wait_for_rebuild(read_models)
    new = await apply_case_events(envelopes, read_models=read_models)
    log.info("reporting.cases_folded", events=len(envelopes), new=new)


async def apply_activity_events(envelopes: Sequence[Envelope], *, read_models: ReadModels) -> int:
    """A meeting counts once per meeting id, however often it is published."""
    changes: list[tuple[str, Contribution]] = []
    for envelope in envelopes:
        if envelope.type != MeetingRecorded.TYPE:
            continue
        meeting = envelope.payload(MeetingRecorded)
        changes.extend((token("m", meeting.meeting_id), c) for c in meeting_contributions(meeting))
    return await read_models.add(changes)


async def on_activity_events(envelopes: Sequence[Envelope], *, read_models: ReadModels) -> None:
    await wait_for_rebuild(read_models)
    new = await apply_activity_events(envelopes, read_models=read_models)
    log.info("reporting.activities_counted", events=len(envelopes), new=new)


async def apply_directory_events(envelopes: Sequence[Envelope], *, read_models: ReadModels) -> None:
    """Names only (and a representative's or point's station): never contacts."""
    entries: list[tuple[str, str, dict[str, str], datetime]] = []
    for envelope in envelopes:
        if envelope.type != DirectoryEntryChanged.TYPE:
            continue
        changed = envelope.payload(DirectoryEntryChanged)
        if changed.kind not in NAMED_KINDS:
            continue
        fields = {
            name: str(changed.entry[name])
            for name in ("name", "name_en", "station")
            if isinstance(changed.entry.get(name), str)
        }
        entries.append((changed.kind, changed.key, fields, envelope.time))
    await read_models.save_names(entries)
