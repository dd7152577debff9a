"""What several of routing's use cases share: the event source, a case's state, the refusal."""

from __future__ import annotations

from datetime import datetime

from services.routing.domain.assignment import RoutingDecision
from services.routing.domain.workflow import CaseState
from shared.events.case_events import CaseAssigned
from shared.events.envelope import Envelope
from shared.mongo import Document

SOURCE = "minyi/routing"


class InvalidCommand(ValueError):
    """The command names something that does not exist or does not fit (422)."""


def case_state(document: Document) -> CaseState:
    return CaseState(
        case_id=document["_id"],
        station_id=document["station_id"],
        status=document["status"],
        representative_code=document.get("representative_code"),
        transferred_to=document.get("transferred_to"),
        version=document["version"],
    )


def assigned_event(
    decision: RoutingDecision,
    *,
    case_id: str,
    category: str,
    round_: int,
    at: datetime,
    correlation_id: str,
) -> Envelope:
    """`case.assigned` for a first assignment or a re-routing."""
    return Envelope.wrap(
        CaseAssigned(
            case_id=case_id,
            category=category,
            station_id=decision.station_id,
            station_name=decision.station_name,
            liaison_point_id=decision.liaison_point_id,
            representative_code=decision.representative_code,
            representative_name=decision.representative_name,
            reason=decision.reason,
            round=round_,
            assigned_at=at,
        ),
        source=SOURCE,
        subject=case_id,
        correlation_id=correlation_id,
    )
