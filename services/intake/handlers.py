"""intake's use cases: one async function per command or event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from services.intake.adapters.case_repository import CaseRepository
from services.intake.domain.cases import CaseCreate, TimelineStep, assignment_note, open_case
from shared.consumer import ConsumedEvent, bound_event_context
from shared.events.case_events import CaseAssigned
from shared.events.envelope import Envelope
from shared.logging import get_logger
from shared.mongo import Document

log = get_logger(__name__)

SOURCE = "minyi/intake"


async def submit_case(
    *,
    command: CaseCreate,
    cases: CaseRepository,
    correlation_id: str,
    idempotency_key: str | None,
    fingerprint: str,
) -> Document:
    new = open_case(command, now=datetime.now(UTC))
    event = Envelope.wrap(
        new.submitted, source=SOURCE, subject=new.case_id, correlation_id=correlation_id
    )
    stored = await cases.add(new, event, idempotency_key=idempotency_key, fingerprint=fingerprint)
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
    for event in events:
        with bound_event_context(event):
            if event.envelope.type == CaseAssigned.TYPE:
                await _on_assigned(event.envelope, cases=cases)


async def _on_assigned(envelope: Envelope, *, cases: CaseRepository) -> None:
    assigned = envelope.payload(CaseAssigned)
    applied = await cases.record_step(
        case_id=assigned.case_id,
        event_id=envelope.id,
        at=assigned.assigned_at,
        step=TimelineStep(
            status="assigned", at=assigned.assigned_at, note=assignment_note(assigned)
        ),
        fields={
            "station": {"id": assigned.station_id, "name": assigned.station_name},
            "representative": (
                {"code": assigned.representative_code, "name": assigned.representative_name}
                if assigned.representative_code
                else None
            ),
        },
    )
    log.info(
        "case.assignment_recorded" if applied else "case.assignment_already_recorded",
        case_id=assigned.case_id,
        station_id=assigned.station_id,
    )
