"""Past cases imported into intake (`python -m services.intake import`, docs/operations.md).

Their `case.submitted` carries `imported`: what the case had become before Minyi. Routing
records such a case as it was — station, holder, status, the times of its steps, an audit
trail by actor `import` — instead of routing it now. It publishes nothing (the import already
published the case's history) and gives it no deadline to watch: history is never escalated.
An imported case still open (assigned, accepted) counts in its representative's open load.
The resident's rating, if any, arrives as the case's own `case.rated` and is applied as usual.

A case imported while still `submitted` (nobody held it yet) is not history: it is routed like
a live case.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.routing.adapters.case_repository import RoutedCaseRepository, audit_entry
from services.routing.domain.assignment import RoutingDecision
from services.routing.domain.directory import Directory
from services.routing.domain.loads import combined, load_shift
from shared.events.case_events import CaseSubmitted, ImportedHistory
from shared.events.envelope import Envelope
from shared.logging import get_logger
from shared.mongo import Document

log = get_logger(__name__)

IMPORT_ACTOR = "import"


def is_history(submitted: CaseSubmitted) -> bool:
    """An imported case that someone held: recorded as it was, not routed."""
    history = submitted.imported
    return history is not None and history.status != "submitted" and history.station_id is not None


def imported_decision(
    submitted: CaseSubmitted, history: ImportedHistory, *, station_id: str, directory: Directory
) -> RoutingDecision:
    """Who held the case, named as the directory names them now."""
    station = directory.station(station_id)
    code = history.representative_code
    representative = directory.representative(code) if code else None
    return RoutingDecision(
        station_id=station_id,
        station_name=station.name if station else station_id,
        liaison_point_id=submitted.liaison_point_id,
        representative_code=code,
        representative_name=representative.name if representative else None,
        reason=f"imported history (external id {history.external_id})",
    )


def imported_audit(history: ImportedHistory, *, reason: str) -> list[Document]:
    """The steps the case went through, at their historical times, by actor `import`."""
    steps: list[tuple[datetime | None, str, str, str, str | None]] = [
        (history.assigned_at, "assign", "submitted", "assigned", reason),
        (history.accepted_at, "accept", "assigned", "accepted", None),
    ]
    if history.status == "rejected":
        steps.append((history.closed_at, "reject", "accepted", "rejected", None))
    else:
        steps.append((history.responded_at, "respond", "accepted", "responded", None))
        steps.append((history.closed_at, "close", "responded", "closed", None))
    return [
        audit_entry(
            at=at,
            actor_role="system",
            actor_id=IMPORT_ACTOR,
            action=action,
            source=source,
            target=target,
            note=note,
        )
        for at, action, source, target, note in steps
        if at is not None
    ]


def imported_record(submitted: CaseSubmitted, *, event_id: str, directory: Directory) -> Document:
    """Routing's case as it was when imported: the fields of a routed case, its steps in the
    audit trail, and an `sla` with nothing left to escalate (no `watch`)."""
    history = submitted.imported
    if history is None or history.station_id is None:
        raise ValueError("not an imported case that someone held")
    decision = imported_decision(
        submitted, history, station_id=history.station_id, directory=directory
    )
    audit = imported_audit(history, reason=decision.reason)
    assigned_at = history.assigned_at or submitted.submitted_at
    return {
        "_id": submitted.case_id,
        "category": submitted.category,
        "text": submitted.text,
        "channel": submitted.channel,
        "submitted_at": submitted.submitted_at,
        "status": history.status,
        "station_id": decision.station_id,
        "liaison_point_id": decision.liaison_point_id,
        "representative_code": decision.representative_code,
        "reason": decision.reason,
        "round": 1,
        "declined_by": [],
        "transferred_to": None,
        "reopen_count": 0,
        "rating": None,
        "decisions": [{**decision.model_dump(), "at": assigned_at, "cause": event_id}],
        "audit": audit,
        "assigned_at": assigned_at,
        "updated_at": max((a["at"] for a in audit), default=assigned_at),
        "meetings": [submitted.meeting_id] if submitted.meeting_id else [],
        "attachment_count": submitted.attachment_count,
        "imported": {"external_id": history.external_id},
        "sla": {
            "accept_due": None,
            "respond_due": None,
            "accept_escalated": True,
            "respond_escalated": True,
        },
        "version": 1,
    }


async def record_imported_cases(
    envelopes: Sequence[Envelope], *, cases: RoutedCaseRepository, directory: Directory
) -> list[Envelope]:
    """Record the imported cases among these `case.submitted` events as they were, in one
    write (a redelivered one is recorded already and changes nothing); returns the others —
    live cases and imported ones still `submitted` — for the caller to route."""
    to_route: list[Envelope] = []
    records: list[Document] = []
    for envelope in envelopes:
        submitted = envelope.payload(CaseSubmitted)
        if is_history(submitted):
            records.append(imported_record(submitted, event_id=envelope.id, directory=directory))
        else:
            to_route.append(envelope)
    if not records:
        return to_route
    stored = await cases.add_imported(records)
    await cases.loads.shift(
        combined(
            load_shift(None, (r["representative_code"], r["status"]))
            for r in records
            if r["_id"] in stored
        )
    )
    # One line per batch: an import brings thousands of cases at once.
    log.info("case.imports_recorded", recorded=len(stored), already=len(records) - len(stored))
    return to_route
