"""The resident's view of their case, folded from the case events routing (and the resident)
produce: a polled run costs one read and one write, whatever its size."""

from __future__ import annotations

from collections.abc import Sequence

from services.intake.adapters.case_documents import applied_entry
from services.intake.adapters.case_repository import CaseRepository
from services.intake.domain.cases import CaseSnapshot
from services.intake.domain.timeline import TimelineChange, advanced, change_for
from shared.dispatch import Event
from shared.errors import TransientError
from shared.events.envelope import EventData
from shared.logging import get_logger

log = get_logger(__name__)

_APPLY_ATTEMPTS = 5


async def on_case_events(events: Sequence[Event[EventData]], *, cases: CaseRepository) -> None:
    """Fold a run of case events into the cases: one read and one write for the whole run.

    A case that a resident changed meanwhile makes the write miss it; then the run is
    applied again event by event, which skips what was applied."""
    by_case: dict[str, list[Event[EventData]]] = {}
    for event in events:
        by_case.setdefault(event.subject, []).append(event)
    if not by_case:
        return
    stored = await cases.pending_snapshots(list(by_case))
    batch: list[tuple[CaseSnapshot, list[tuple[str, TimelineChange]]]] = []
    for case_id, items in by_case.items():
        if case_id not in stored:
            log.info("case.event_skipped", case_id=case_id, events=len(items))
            continue
        case, applied = stored[case_id]
        current = case
        changes: list[tuple[str, TimelineChange]] = []
        for event in items:
            if applied_entry(event.id) in applied or any(e == event.id for e, _ in changes):
                continue
            change = change_for(event.data, current=current)
            changes.append((event.id, change))
            current = advanced(current, change)
        if changes:
            batch.append((case, changes))
    if await cases.apply_changes(batch):
        log.info("case.events_applied", cases=len(batch), events=sum(len(c) for _, c in batch))
        return
    for event in events:
        with event.log_context():
            await _apply_case_event(event, cases=cases)


async def _apply_case_event(event: Event[EventData], *, cases: CaseRepository) -> None:
    for _ in range(_APPLY_ATTEMPTS):
        case = await cases.pending_snapshot(case_id=event.subject, event_id=event.id)
        if case is None:
            log.info("case.event_skipped", case_id=event.subject, event_type=event.type)
            return
        change = change_for(event.data, current=case)
        if await cases.apply_change(case=case, event_id=event.id, change=change):
            log.info(
                "case.event_applied",
                case_id=case.case_id,
                event_type=event.type,
                status=change.status or case.status,
                visible=change.step is not None,
            )
            return
    # A resident action kept winning the race for this case: retry the batch later.
    raise TransientError(f"case {event.subject} kept changing while applying {event.type}")
