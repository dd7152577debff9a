"""Cases as routing stores them once assigned, a resident's reopening and a clock moved by hand:
the setup of the SLA tests on the real store (escalation, a changed working calendar)."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.routing.adapters.case_documents import assignment_document, watch_for
from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.domain.assignment import RoutingDecision
from services.routing.domain.sla import Deadlines, SlaRules
from services.routing.handlers.resident_feedback import on_reopenings
from shared.dispatch import Event
from shared.events.case_events import CaseAssigned, CaseReopened
from shared.events.envelope import Envelope

STATION = "xijie"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def add_assigned_case(
    cases: RoutedCaseRepository,
    *,
    submitted_at: datetime,
    deadlines: Deadlines,
    correlation_id: str,
    status: str | None = None,
) -> str:
    """A parking case of station xijie, assigned as it was submitted, with these deadlines; its
    id. With `status`, stored in that status with the deadline watch a change to it leaves."""
    case_id = str(uuid.uuid4())
    decision = RoutingDecision(
        station_id=STATION,
        station_name="西街",
        liaison_point_id=None,
        representative_code="0412",
        representative_name=None,
        reason="test",
    )
    assigned = Envelope.wrap(
        CaseAssigned(
            case_id=case_id,
            category="parking",
            station_id=STATION,
            station_name="西街",
            reason="test",
            assigned_at=submitted_at,
        ),
        source="test",
        subject=case_id,
        correlation_id=correlation_id,
    )
    document = assignment_document(
        case_id=case_id,
        category="parking",
        text="停车难",
        channel="web",
        submitted_at=submitted_at,
        decision=decision,
        cause_event_id="x",
        assigned_at=submitted_at,
        deadlines=deadlines,
        event=assigned,
    )
    if status is not None:
        document["status"] = status
        watch = watch_for(document, status=status)
        document["sla"].pop("watch")
        if watch is not None:  # as a status change leaves it: absent once no deadline applies
            document["sla"]["watch"] = watch
    await cases.add_assignments([document])
    return case_id


async def reopen(
    case_id: str,
    *,
    at: datetime,
    cases: RoutedCaseRepository,
    directory: DirectoryRepository,
    sla: SlaRules,
    correlation_id: str,
) -> None:
    """The resident reopens the case (not solved), as routing's consumer takes it."""
    reopened = Envelope.wrap(
        CaseReopened(
            case_id=case_id, station_id=STATION, actor_role="resident", at=at, reason="没有解决"
        ),
        source="test",
        subject=case_id,
        correlation_id=correlation_id,
    )
    await on_reopenings(
        [Event.of(reopened, reopened.payload(CaseReopened))],
        cases=cases,
        directory=directory,
        sla=sla,
    )
