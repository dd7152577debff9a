"""SLA escalation: `case.escalated` once for every deadline a case has passed (docs/lifecycle.md).

Safe in every replica at once: each escalation is a conditional single-document update."""

from __future__ import annotations

from datetime import datetime

from services.routing.adapters.case_documents import audit_entry
from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.domain.sla import DEADLINES, breached
from services.routing.handlers.common import SOURCE
from shared.events.case_events import CaseEscalated
from shared.events.envelope import Envelope
from shared.logging import get_logger

log = get_logger(__name__)


async def escalate_breaches(
    *, cases: RoutedCaseRepository, now: datetime, correlation_id: str
) -> int:
    """Emit `case.escalated` once for every deadline passed; returns how many."""
    escalated = 0
    for document in await cases.breach_candidates(now=now):
        sla_fields = document.get("sla") or {}
        done = frozenset(d for d in DEADLINES if sla_fields.get(f"{d}_escalated"))
        due = breached(
            status=document["status"],
            accept_due=sla_fields.get("accept_due"),
            respond_due=sla_fields.get("respond_due"),
            escalated=done,
            now=now,
        )
        if not due:
            await cases.rewatch(document)
            continue
        events = [
            Envelope.wrap(
                CaseEscalated(
                    case_id=document["_id"],
                    station_id=document["station_id"],
                    actor_role="system",
                    actor_id="routing.sla",
                    at=now,
                    deadline=deadline,
                    due_at=sla_fields[f"{deadline}_due"],
                ),
                source=SOURCE,
                subject=document["_id"],
                correlation_id=correlation_id,
            )
            for deadline in due
        ]
        audit = [
            audit_entry(
                at=now,
                actor_role="system",
                actor_id="routing.sla",
                action="escalate",
                source=document["status"],
                target=document["status"],
                note=f"{deadline} deadline passed",
            )
            for deadline in due
        ]
        if await cases.mark_escalated(case=document, deadlines=due, audit=audit, events=events):
            escalated += len(due)
            log.warning(
                "case.escalated",
                case_id=document["_id"],
                deadlines=due,
                station=document["station_id"],
            )
    return escalated
