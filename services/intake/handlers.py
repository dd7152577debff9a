"""intake's use cases: one async function per command or event."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from services.intake.adapters.case_repository import CaseRepository, snapshot_of
from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.domain.cases import CaseCreate, CaseSnapshot, open_case
from services.intake.domain.resident_actions import (
    refused,
)
from services.intake.domain.timeline import TimelineChange, advanced, change_for
from shared.consumer import ConsumedEvent, bound_event_context
from shared.errors import TransientError
from shared.events.case_events import CASE_EVENT_TYPES, CaseAction, CaseSubmitted
from shared.events.directory_events import DirectoryEntryChanged, DirectoryKind
from shared.events.envelope import Envelope, EventData
from shared.events.resident_events import ResidentContactGiven
from shared.logging import get_logger
from shared.mongo import Document
from shared.optimistic import on_current_state

log = get_logger(__name__)

SOURCE = "minyi/intake"
_APPLY_ATTEMPTS = 5


class CaseNotFound(Exception):
    """No case has this tracking code."""


class UnknownReference(ValueError):
    """The submission names a category, representative or point the directory lacks (422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


_REFERENCES: tuple[tuple[str, DirectoryKind, str], ...] = (
    ("category", "category", "category"),
    ("representative_code", "representative", "representative"),
    ("liaison_point_id", "liaison_point", "liaison point"),
)


async def check_references(command: CaseCreate, *, directory: DirectoryCopy) -> None:
    """Refuse what the directory does not know, once intake has a copy of it."""
    for field, kind, label in _REFERENCES:
        value = getattr(command, field)
        if value is None or not await directory.knows(kind):
            continue
        entry = await directory.entry(kind, value)
        if entry is None or not entry.get("active", True):
            raise UnknownReference(field, f"no active {label} {value!r}")


async def on_directory_events(events: Sequence[ConsumedEvent], *, directory: DirectoryCopy) -> None:
    for event in events:
        changed = event.envelope.payload(DirectoryEntryChanged)
        await directory.apply(
            kind=changed.kind, key=changed.key, entry=changed.entry, at=event.envelope.time
        )


async def submit_case(
    *,
    command: CaseCreate,
    cases: CaseRepository,
    directory: DirectoryCopy,
    correlation_id: str,
    idempotency_key: str | None,
    fingerprint: str,
    station_id: str | None = None,
    meeting_id: str | None = None,
) -> Document:
    await check_references(command, directory=directory)
    new = open_case(command, now=datetime.now(UTC), station_id=station_id, meeting_id=meeting_id)
    event = Envelope.wrap(
        new.submitted, source=SOURCE, subject=new.case_id, correlation_id=correlation_id
    )
    contact = (
        Envelope.wrap(
            ResidentContactGiven(
                case_id=new.case_id,
                phone=new.contact.phone,
                email=new.contact.email,
                language=new.contact.language,
                given_at=new.submitted.submitted_at,
            ),
            source=SOURCE,
            subject=new.case_id,
            correlation_id=correlation_id,
        )
        if new.contact is not None
        else None
    )
    stored = await cases.add(
        new,
        event,
        contact=contact,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        attachments=command.attachments,
    )
    if stored["_id"] == new.case_id:
        log.info(
            "case.submitted",
            case_id=new.case_id,
            category=command.category,
            channel=command.channel,
        )
    else:
        log.info("case.submission_replayed", case_id=stored["_id"])
    return stored


async def on_case_events(events: Sequence[ConsumedEvent], *, cases: CaseRepository) -> None:
    """Fold a polled batch into the cases: one read and one write for the whole batch.

    A case that a resident changed meanwhile makes the write miss it; then the batch is
    applied again event by event, which skips what was applied."""
    by_case: dict[str, list[tuple[Envelope, EventData]]] = {}
    for event in events:
        model = CASE_EVENT_TYPES.get(event.envelope.type)
        if model is None or model is CaseSubmitted:
            continue
        envelope = event.envelope
        by_case.setdefault(envelope.subject, []).append((envelope, envelope.payload(model)))
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
        for envelope, data in items:
            key = "e" + envelope.id.replace("-", "")
            if key in applied or any(e == envelope.id for e, _ in changes):
                continue
            change = change_for(data, current=current)
            changes.append((envelope.id, change))
            current = advanced(current, change)
        if changes:
            batch.append((case, changes))
    if await cases.apply_changes(batch):
        log.info("case.events_applied", cases=len(batch), events=sum(len(c) for _, c in batch))
        return
    for event in events:
        with bound_event_context(event):
            await _apply_case_event(event.envelope, cases=cases)


async def _apply_case_event(envelope: Envelope, *, cases: CaseRepository) -> None:
    model = CASE_EVENT_TYPES.get(envelope.type)
    if model is None or model is CaseSubmitted:
        return
    data = envelope.payload(model)
    for _ in range(_APPLY_ATTEMPTS):
        case = await cases.pending_snapshot(case_id=envelope.subject, event_id=envelope.id)
        if case is None:
            log.info("case.event_skipped", case_id=envelope.subject, event_type=envelope.type)
            return
        change = change_for(data, current=case)
        if await cases.apply_change(case=case, event_id=envelope.id, change=change):
            log.info(
                "case.event_applied",
                case_id=case.case_id,
                event_type=envelope.type,
                status=change.status or case.status,
                visible=change.step is not None,
            )
            return
    # A resident action kept winning the race for this case: retry the batch later.
    raise TransientError(f"case {envelope.subject} kept changing while applying {envelope.type}")


class _LostRace(Exception):
    """A routing event reached the case between the resident's read and write."""

    def __init__(self, latest: Document) -> None:
        super().__init__(latest["_id"])
        self.latest = latest


async def resident_action(
    *,
    tracking_code: str,
    decide: Callable[[CaseSnapshot], CaseAction],
    cases: CaseRepository,
    correlation_id: str,
    now: datetime,
) -> Document:
    """A resident's action by tracking code (rate, reopen, reply): `decide` is the pure rule.

    Decide, then store the change and its event in one write guarded by the version read; a
    routing event landing meanwhile makes it decide again on the case as it is now.

    The same write marks the event applied, so it changes nothing when it comes back from Kafka.
    """

    async def attempt() -> Document:
        return await _resident_action_once(
            tracking_code=tracking_code,
            decide=decide,
            cases=cases,
            correlation_id=correlation_id,
            now=now,
        )

    try:
        return await on_current_state(attempt, lost_race=_LostRace)
    except _LostRace as lost:
        raise refused(
            snapshot_of(lost.latest), detail="the case changed meanwhile; please try again", now=now
        ) from None


async def _resident_action_once(
    *,
    tracking_code: str,
    decide: Callable[[CaseSnapshot], CaseAction],
    cases: CaseRepository,
    correlation_id: str,
    now: datetime,
) -> Document:
    document = await cases.by_tracking_code(tracking_code)
    if document is None:
        raise CaseNotFound(tracking_code)
    case = snapshot_of(document)
    data = decide(case)
    envelope = Envelope.wrap(
        data, source=SOURCE, subject=case.case_id, correlation_id=correlation_id, time=now
    )
    change = change_for(data, current=case)
    stored = await cases.apply_change(
        case=case, event_id=envelope.id, change=change, events=[envelope]
    )
    latest = await cases.by_tracking_code(tracking_code)
    if latest is None:
        raise CaseNotFound(tracking_code)
    if not stored:
        log.info("case.resident_action_lost_race", case_id=case.case_id, event_type=data.TYPE)
        raise _LostRace(latest)
    log.info("case.resident_action", case_id=case.case_id, event_type=data.TYPE)
    return latest
