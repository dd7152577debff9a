"""routing's case documents as stored: a newly routed case, an imported one, audit entries,
the next deadline a case is watched for (`sla.watch`), and its deadlines counted again with
another calendar (`recounted_sla`)."""

from __future__ import annotations

from datetime import datetime

from services.routing.domain.assignment import RoutingDecision
from services.routing.domain.directory import Directory
from services.routing.domain.imports import IMPORT_ACTOR, imported_decision, rated_at_of
from services.routing.domain.sla import (
    DEADLINES,
    Deadlines,
    SlaPolicy,
    WorkingCalendar,
    next_due,
)
from services.routing.domain.workflow import OPEN
from shared.events.case_events import CaseSubmitted, ImportedHistory
from shared.events.envelope import Envelope
from shared.mongo import Document
from shared.outbox import with_outbox
from shared.topics import CASE_EVENTS


def watch_for(document: Document, *, status: str) -> datetime | None:
    """The case's next deadline once it is in `status` (see domain.sla.next_due)."""
    sla = document.get("sla") or {}
    return next_due(
        status=status,
        accept_due=sla.get("accept_due"),
        respond_due=sla.get("respond_due"),
        escalated=frozenset(d for d in DEADLINES if sla.get(f"{d}_escalated")),
    )


def sla_clock(deadlines: Deadlines) -> Document:
    """`sla.<deadline>_from` / `_days`: what each deadline was counted from, so that a new
    calendar can count it again (`recounted_sla`)."""
    if deadlines.start is None or deadlines.policy is None:
        return {}
    return {
        "accept_from": deadlines.start,
        "accept_days": deadlines.policy.accept_days,
        "respond_from": deadlines.start,
        "respond_days": deadlines.policy.respond_days,
    }


def recounted_sla(
    document: Document,
    *,
    calendar: WorkingCalendar,
    policy: SlaPolicy,
    reopened_at: datetime | None = None,
) -> Document:
    """The `sla` fields of an open case that change when its deadlines are counted again with
    `calendar`; empty when none does. Each deadline is counted from its stored
    `sla.<deadline>_from` and `_days`. A case stored before those were kept is counted from its
    submission (or, imported while open, its assignment: when its clock started), its response
    deadline from its latest reopening (`reopened_at`), with `policy` (its category's now), and
    gets them stored. A deadline a case never had (imported as it was) stays absent."""
    sla = document.get("sla") or {}
    if document.get("status") not in OPEN:
        return {}
    first = (
        document.get("assigned_at") if document.get("imported") else document.get("submitted_at")
    )
    starts: dict[str, datetime | None] = {
        "accept": sla.get("accept_from") or first,
        "respond": sla.get("respond_from") or reopened_at or first,
    }
    days = {
        "accept": sla.get("accept_days") or policy.accept_days,
        "respond": sla.get("respond_days") or policy.respond_days,
    }
    changes: Document = {}
    for deadline in DEADLINES:
        start = starts[deadline]
        if sla.get(f"{deadline}_due") is None or start is None:
            continue
        due = calendar.add_working_days(start, days[deadline])
        if due != sla[f"{deadline}_due"]:
            changes[f"{deadline}_due"] = due
        if sla.get(f"{deadline}_from") is None:
            changes[f"{deadline}_from"] = start
            changes[f"{deadline}_days"] = days[deadline]
    return changes


def audit_entry(
    *,
    at: datetime,
    actor_role: str,
    actor_id: str | None,
    action: str,
    source: str | None,
    target: str,
    note: str | None = None,
    detail: Document | None = None,
) -> Document:
    """`note` is what a person wrote (erasure blanks it); `detail` holds the entry's codes
    and times (a deadline, a rating, two stages), never free text, so that each page can word
    them in its own language."""
    return {
        "at": at,
        "actor_role": actor_role,
        "actor_id": actor_id,
        "action": action,
        "from": source,
        "to": target,
        "note": note,
        **({"detail": detail} if detail else {}),
    }


def _routed_case(
    *,
    case_id: str,
    category: str,
    text: str,
    channel: str,
    submitted_at: datetime,
    status: str,
    decision: RoutingDecision,
    cause: str,
    assigned_at: datetime,
    audit: list[Document],
    updated_at: datetime,
    meeting_id: str | None,
    attachment_count: int,
    sla: Document,
    imported: Document | None = None,
    rating: str | None = None,
) -> Document:
    """The fields of every case routing holds, as its first assignment leaves them."""
    return {
        "_id": case_id,
        "category": category,
        "text": text,
        "channel": channel,
        "submitted_at": submitted_at,
        "status": status,
        "station_id": decision.station_id,
        "liaison_point_id": decision.liaison_point_id,
        "representative_code": decision.representative_code,
        "reason": decision.reason,
        "round": 1,
        "declined_by": [],
        "transferred_to": None,
        "reopen_count": 0,
        "rating": rating,
        "decisions": [{**decision.model_dump(), "at": assigned_at, "cause": cause}],
        "audit": audit,
        "assigned_at": assigned_at,
        "updated_at": updated_at,
        "meetings": [meeting_id] if meeting_id else [],
        # Intake keeps the photos; the workbench links to them by number.
        "attachment_count": attachment_count,
        **({"imported": imported} if imported is not None else {}),
        "sla": sla,
        "version": 1,
    }


def assignment_document(
    *,
    case_id: str,
    category: str,
    text: str,
    channel: str,
    submitted_at: datetime,
    decision: RoutingDecision,
    cause_event_id: str,
    assigned_at: datetime,
    deadlines: Deadlines,
    event: Envelope,
    meeting_id: str | None = None,
    attachment_count: int = 0,
) -> Document:
    """A newly routed case as stored, carrying its `case.assigned` event."""
    document = _routed_case(
        case_id=case_id,
        category=category,
        text=text,
        channel=channel,
        submitted_at=submitted_at,
        status="assigned",
        decision=decision,
        cause=cause_event_id,
        assigned_at=assigned_at,
        audit=[
            audit_entry(
                at=assigned_at,
                actor_role="system",
                actor_id="routing",
                action="assign",
                source="submitted",
                target="assigned",
                note=decision.reason,
            )
        ],
        updated_at=assigned_at,
        meeting_id=meeting_id,
        attachment_count=attachment_count,
        sla={
            "accept_due": deadlines.accept_due,
            "respond_due": deadlines.respond_due,
            "accept_escalated": False,
            "respond_escalated": False,
            "watch": min(deadlines.accept_due, deadlines.respond_due),
            **sla_clock(deadlines),
        },
    )
    return with_outbox(document, [event], topic=CASE_EVENTS)


def rating_audit(rating: str, *, at: datetime) -> Document:
    """The resident rated the response (a live `case.rated`, or an imported case's history)."""
    return audit_entry(
        at=at,
        actor_role="resident",
        actor_id=None,
        action="rate",
        source=None,
        target="rated",
        detail={"rating": rating},
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
    audit = [
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
    rated_at = rated_at_of(history)
    if history.rating is not None and rated_at is not None:
        audit.append(rating_audit(history.rating, at=rated_at))
    return audit


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
    return _routed_case(
        case_id=submitted.case_id,
        category=submitted.category,
        text=submitted.text,
        channel=submitted.channel,
        submitted_at=submitted.submitted_at,
        status=history.status,
        decision=decision,
        cause=event_id,
        assigned_at=assigned_at,
        audit=audit,
        updated_at=max((a["at"] for a in audit), default=assigned_at),
        meeting_id=submitted.meeting_id,
        attachment_count=submitted.attachment_count,
        imported={"external_id": history.external_id},
        rating=history.rating,
        sla={
            "accept_due": None,
            "respond_due": None,
            "accept_escalated": True,
            "respond_escalated": True,
        },
    )
