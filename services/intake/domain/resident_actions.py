"""What a resident may do with their case through the tracking code: rate the response, and
reopen it once when dissatisfied. Pure: the rules decide, the handler stores.

- rate: once the case is responded (or closed), once per response; a reopened case that is
  responded again may be rated again.
- reopen: once per case, within 15 days of the response, after rating it dissatisfied.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.intake.domain.cases import CaseSnapshot
from shared.events.case_events import CaseMessageSent, CaseRated, CaseReopened, CaseStatus, Rating

ResidentAction = Literal["rate", "reopen", "reply"]
RESIDENT_ACTIONS: tuple[ResidentAction, ...] = ("rate", "reopen", "reply")
REOPEN_WINDOW = timedelta(days=15)
MAX_REOPENS = 1
_FEEDBACK_STATUSES: frozenset[CaseStatus] = frozenset({"responded", "closed"})


class RateCase(BaseModel):
    """The resident's rating of the response."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    rating: Rating
    comment: str | None = Field(default=None, max_length=500)


class ReopenCase(BaseModel):
    """Why the resident wants the case handled again."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    reason: str = Field(min_length=5, max_length=1000)


class ActionRefused(Exception):
    """The action is not allowed in the case's current state."""

    def __init__(
        self,
        *,
        detail: str,
        status: CaseStatus,
        allowed_actions: list[ResidentAction],
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.allowed_actions = allowed_actions


def refusal(case: CaseSnapshot, action: ResidentAction, *, now: datetime) -> str | None:
    """Why `action` is not allowed now, or None when it is."""
    if action == "reply":
        return None if case.awaiting_reply else "the station has not asked you anything"
    if case.status not in _FEEDBACK_STATUSES or case.responded_at is None:
        return "the case has not been responded to yet"
    if action == "rate":
        if case.rated_since_response:
            return "the latest response has already been rated"
        return None
    if case.reopen_count >= MAX_REOPENS:
        return "a case can be reopened only once"
    if now - case.responded_at > REOPEN_WINDOW:
        return "a case can be reopened only within 15 days of its response"
    if not case.rated_since_response or case.rating != "dissatisfied":
        return "rate the response as dissatisfied before reopening"
    return None


def allowed_actions(case: CaseSnapshot, *, now: datetime) -> list[ResidentAction]:
    return [action for action in RESIDENT_ACTIONS if refusal(case, action, now=now) is None]


def refused(case: CaseSnapshot, *, detail: str, now: datetime) -> ActionRefused:
    return ActionRefused(
        detail=detail, status=case.status, allowed_actions=allowed_actions(case, now=now)
    )


def _require(case: CaseSnapshot, action: ResidentAction, *, now: datetime) -> str:
    """The station the event is attributed to; raises when the action is not allowed."""
    reason = refusal(case, action, now=now)
    if reason is not None:
        raise refused(case, detail=reason, now=now)
    return case.station_id or ""


def rate(case: CaseSnapshot, command: RateCase, *, now: datetime) -> CaseRated:
    station_id = _require(case, "rate", now=now)
    return CaseRated(
        case_id=case.case_id,
        station_id=station_id,
        actor_role="resident",
        actor_id=None,
        at=now,
        rating=command.rating,
        comment=command.comment or None,
    )


def reopen(case: CaseSnapshot, command: ReopenCase, *, now: datetime) -> CaseReopened:
    station_id = _require(case, "reopen", now=now)
    return CaseReopened(
        case_id=case.case_id,
        station_id=station_id,
        actor_role="resident",
        actor_id=None,
        at=now,
        reason=command.reason,
    )


class ReplyToStation(BaseModel):
    """The resident's answer to the station's question."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    text: str = Field(min_length=1, max_length=2000)


def reply(
    case: CaseSnapshot, command: ReplyToStation, *, now: datetime, message_id: str
) -> CaseMessageSent:
    station_id = _require(case, "reply", now=now)
    return CaseMessageSent(
        case_id=case.case_id,
        station_id=station_id,
        actor_role="resident",
        actor_id=None,
        at=now,
        message_id=message_id,
        direction="to_station",
        text=command.text,
    )
