"""Supervision (督办) of a case: a supervisor urges it, and each supervision whose deadline
passes with the case still not answered is escalated once (docs/lifecycle.md)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from services.routing.adapters.case_documents import audit_entry
from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.domain.supervision import (
    Supervise,
    decide_supervision,
    escalation,
    next_supervision_due,
    overdue_records,
)
from services.routing.domain.workflow import Actor, CaseState, OutOfScope, can_see
from services.routing.handlers.command import Applied, run_command
from services.routing.handlers.common import SOURCE, case_state
from shared.events.envelope import Envelope
from shared.logging import get_logger
from shared.mongo import Document

log = get_logger(__name__)


async def supervise_case(
    *,
    case_id: str,
    command: Supervise,
    actor: Actor,
    cases: RoutedCaseRepository,
    timezone: ZoneInfo,
    correlation_id: str,
    expected_version: int | None = None,
) -> Document:
    """Record a supervision; returns the updated case. One write guarded by the version read:
    the record, the case's next supervision deadline, an audit entry and `case.supervised`."""
    supervision_id = str(uuid.uuid4())

    def admit(state: CaseState) -> None:
        if not can_see(state, actor):
            raise OutOfScope(case_id)

    async def decide(document: Document, state: CaseState) -> Applied:
        now = datetime.now(UTC)
        event = decide_supervision(
            state,
            command,
            actor=actor,
            supervision_id=supervision_id,
            now=now,
            timezone=timezone,
        )
        record = {
            "id": supervision_id,
            "at": now,
            "by": actor.username,
            "reason": command.reason,
            "due_at": event.due_at,
            "escalated": False,
            "escalated_at": None,
            "answered_at": None,
        }
        records = [*(document.get("supervisions") or []), record]
        return Applied(
            changes={"supervision_watch": next_supervision_due(records, status=state.status)},
            audit=[
                audit_entry(
                    at=now,
                    actor_role=actor.role,
                    actor_id=actor.username,
                    action="supervise",
                    source=state.status,
                    target=state.status,
                    note=command.reason,
                )
            ],
            events=[
                Envelope.wrap(
                    event, source=SOURCE, subject=case_id, correlation_id=correlation_id, time=now
                )
            ],
            push={"supervisions": record},
            at=now,
            log_event="case.supervised",
            log_fields={"actor": actor.username, "due_at": event.due_at.isoformat()},
        )

    return await run_command(
        case_id, cases=cases, admit=admit, decide=decide, expected_version=expected_version
    )


async def escalate_supervisions(
    *, cases: RoutedCaseRepository, now: datetime, correlation_id: str
) -> int:
    """`case.supervision_escalated` once for every supervision whose deadline has passed with
    the case still open; returns how many. Reads only the due cases (`supervision_watch`)."""
    escalated = 0
    for document in await cases.supervision_candidates(now=now):
        records = list(document.get("supervisions") or [])
        due = overdue_records(records, status=document["status"], now=now)
        if not due:
            # Answered (or over) before its deadline: nothing left to escalate while it is not
            # open; otherwise the watch moves to the next deadline.
            watch = next_supervision_due(records, status=document["status"])
            await cases.rewatch_supervision(document, watch)
            continue
        state = case_state(document)
        events = [
            Envelope.wrap(
                escalation(state, records[i], now=now),
                source=SOURCE,
                subject=state.case_id,
                correlation_id=correlation_id,
            )
            for i in due
        ]
        audit = [
            audit_entry(
                at=now,
                actor_role="system",
                actor_id="routing.supervision",
                action="escalate_supervision",
                source=state.status,
                target=state.status,
                detail={"due_at": _aware(records[i]["due_at"])},
            )
            for i in due
        ]
        left = [r for i, r in enumerate(records) if i not in due]
        if await cases.mark_supervisions_escalated(
            case=document,
            positions=due,
            at=now,
            watch=next_supervision_due(left, status=state.status),
            audit=audit,
            events=events,
        ):
            escalated += len(due)
            log.warning(
                "case.supervision_escalated",
                case_id=state.case_id,
                records=len(due),
                station=state.station_id,
            )
    return escalated


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
