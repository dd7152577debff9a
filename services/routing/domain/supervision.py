"""Supervision (督办): the standing committee's liaison office urges a case. Pure: no I/O.

- Who: `supervisor` and `admin` (`SUPERVISING_ROLES`), on any case they see (every case).
- When: while the case is open — not yet responded to (`OPEN`).
- What: a reason and a deadline. The deadline is a date (the case must be answered by the end
  of that day, local time, as SLA deadlines are) or a moment with a time zone; it must lie in
  the future and at most `MAX_AHEAD` away.
- A case can be supervised again: each supervision is its own record, with its own deadline.
- A response answers every record still pending (`answered_by_response`: stamped
  `answered_at`); a record whose deadline passes with the case still open and unanswered is
  escalated, once (`overdue_records`). An answered record is never escalated, even if the case
  is returned or reopened later: a new supervision sets the time for the redo.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.routing.domain.workflow import (
    OPEN,
    SUPERVISING_ROLES,
    Actor,
    CaseState,
    NotPermitted,
    OutOfScope,
    Status,
    can_see,
)
from shared.events.case_events import CaseSupervised, CaseSupervisionEscalated

MAX_AHEAD = timedelta(days=90)
"""The furthest a supervision deadline may lie: a quarter, the longest a station reports on."""

Record = Mapping[str, Any]
"""A stored supervision record: `id`, `at`, `by`, `reason`, `due_at`, `escalated`."""


class Supervise(BaseModel):
    """The supervisor's order: why, and by when the case must be answered."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    reason: Annotated[str, Field(min_length=2, max_length=2000)]
    deadline: AwareDatetime | date = Field(
        description="A date (answered by the end of that day, local time) or a moment with a "
        "time zone; in the future, at most 90 days ahead."
    )


class SupervisionNotAllowed(Exception):
    """The case is not open (409): there is nothing to urge."""

    def __init__(self, status: Status) -> None:
        super().__init__(f"cannot supervise a case that is {status}")
        self.status = status


class InvalidDeadline(ValueError):
    """The deadline is past or too far ahead (422)."""


def due_moment(deadline: datetime | date, *, timezone: ZoneInfo) -> datetime:
    """The moment a deadline falls: the end of a date's day in `timezone`, or the moment."""
    if isinstance(deadline, datetime):
        return deadline
    return datetime.combine(deadline, time(23, 59, 59), tzinfo=timezone)


def decide_supervision(
    case: CaseState,
    command: Supervise,
    *,
    actor: Actor,
    supervision_id: str,
    now: datetime,
    timezone: ZoneInfo,
) -> CaseSupervised:
    """Scope (404), role (403), status (409), deadline (422): the event a supervision makes."""
    if not can_see(case, actor):
        raise OutOfScope(case.case_id)
    if actor.role not in SUPERVISING_ROLES:
        raise NotPermitted(f"a {actor.role} may not supervise a case")
    if case.status not in OPEN:
        raise SupervisionNotAllowed(case.status)
    due = due_moment(command.deadline, timezone=timezone)
    if due <= now:
        raise InvalidDeadline("the deadline must be in the future")
    if due > now + MAX_AHEAD:
        raise InvalidDeadline(f"the deadline must be within {MAX_AHEAD.days} days")
    return CaseSupervised(
        case_id=case.case_id,
        station_id=case.station_id,
        actor_role="staff",
        actor_id=actor.username,
        at=now,
        supervision_id=supervision_id,
        reason=command.reason,
        due_at=due,
        representative_code=case.representative_code,
    )


def next_supervision_due(records: Sequence[Record], *, status: str) -> datetime | None:
    """The earliest deadline of a record not escalated yet while the case is open: the case's
    `supervision_watch`; None when nothing is left to escalate."""
    if status not in OPEN:
        return None
    return min((_aware(r["due_at"]) for r in records if _pending(r)), default=None)


def overdue_records(records: Sequence[Record], *, status: str, now: datetime) -> list[int]:
    """The positions of the records whose deadline has passed, not escalated yet, while the
    case is still open: each is escalated once."""
    if status not in OPEN:
        return []
    return [i for i, r in enumerate(records) if _pending(r) and _aware(r["due_at"]) < now]


def answered_by_response(records: Sequence[Record]) -> list[int]:
    """The positions of the records a response given now answers: those still pending."""
    return [i for i, r in enumerate(records) if _pending(r)]


def _pending(record: Record) -> bool:
    return not record.get("escalated") and record.get("answered_at") is None


def escalation(case: CaseState, record: Record, *, now: datetime) -> CaseSupervisionEscalated:
    return CaseSupervisionEscalated(
        case_id=case.case_id,
        station_id=case.station_id,
        actor_role="system",
        actor_id="routing.supervision",
        at=now,
        supervision_id=record["id"],
        due_at=_aware(record["due_at"]),
        representative_code=case.representative_code,
    )


def outcome(record: Record) -> str:
    """`met` (answered by the deadline), `missed` (escalated, or answered late), `pending`."""
    if record.get("escalated"):
        return "missed"
    answered = record.get("answered_at")
    if answered is not None:
        return "met" if _aware(answered) <= _aware(record["due_at"]) else "missed"
    return "pending"


def _aware(moment: datetime) -> datetime:
    # The store gives back naive UTC datetimes.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
