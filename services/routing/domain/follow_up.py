"""Follow-up calls (回访): station staff record the rating a resident gave by phone or in person,
for a resident who has no phone or web access to rate online. Pure: no I/O.

- Who: `staff` and `station_head` of the case's station.
- When: the case is `responded` or `closed`, its latest response has no rating of the
  resident's own, and no follow-up was recorded for it yet: one per response, like a rating.
- What: the rating on the residents' own three-level scale (so the two satisfaction rates can
  be read side by side), an optional comment, and how the resident was reached.
- The resident may still rate online afterwards: both are kept, each counted on its own side
  of satisfaction (docs/reporting.md); the resident's own rating is what `rating` shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.routing.domain.workflow import (
    STATION_ROLES,
    Actor,
    CaseState,
    NotPermitted,
    OutOfScope,
    Status,
    can_see,
)
from shared.events.case_events import CaseFollowedUp, FollowUpChannel, Rating

FOLLOW_UP_STATUSES: frozenset[Status] = frozenset({"responded", "closed"})


class FollowUp(BaseModel):
    """What the resident said on the call or at the station."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    rating: Rating
    comment: str | None = Field(default=None, max_length=500)
    channel: FollowUpChannel


class FollowUpNotAllowed(Exception):
    """Not in this state (409): not answered yet, rated already, or followed up already."""

    def __init__(self, reason: str, *, status: Status) -> None:
        super().__init__(reason)
        self.status = status


def latest_response_at(audit: Sequence[Mapping[str, Any]]) -> datetime | None:
    """When the latest response was given, from the audit trail."""
    return max((_aware(a["at"]) for a in audit if a.get("action") == "respond"), default=None)


def since(entries: Sequence[Mapping[str, Any]], action: str, moment: datetime | None) -> bool:
    """Whether an entry of `action` was recorded at or after `moment`."""
    return moment is not None and any(
        a.get("action") == action and _aware(a["at"]) >= moment for a in entries
    )


def follow_up_refusal(
    case: CaseState, *, rated_since_response: bool, followed_up_since_response: bool
) -> str | None:
    """Why a follow-up may not be recorded now, or None when it may."""
    if case.status not in FOLLOW_UP_STATUSES:
        return "the case has not been responded to yet"
    if rated_since_response:
        return "the resident has rated the latest response"
    if followed_up_since_response:
        return "the latest response has already been followed up"
    return None


def may_follow_up(
    case: CaseState,
    *,
    actor: Actor,
    rated_since_response: bool,
    followed_up_since_response: bool,
) -> bool:
    """Whether to show this actor the follow-up form."""
    return (
        actor.role in STATION_ROLES
        and actor.station_id == case.station_id
        and follow_up_refusal(
            case,
            rated_since_response=rated_since_response,
            followed_up_since_response=followed_up_since_response,
        )
        is None
    )


def decide_follow_up(
    case: CaseState,
    command: FollowUp,
    *,
    actor: Actor,
    rated_since_response: bool,
    followed_up_since_response: bool,
    now: datetime,
) -> CaseFollowedUp:
    """Scope (404), role (403), state (409): the event a follow-up makes."""
    if not can_see(case, actor):
        raise OutOfScope(case.case_id)
    if actor.role not in STATION_ROLES or actor.station_id != case.station_id:
        raise NotPermitted(f"a {actor.role} may not record a follow-up call")
    refusal = follow_up_refusal(
        case,
        rated_since_response=rated_since_response,
        followed_up_since_response=followed_up_since_response,
    )
    if refusal is not None:
        raise FollowUpNotAllowed(refusal, status=case.status)
    return CaseFollowedUp(
        case_id=case.case_id,
        station_id=case.station_id,
        actor_role="staff",
        actor_id=actor.username,
        at=now,
        rating=command.rating,
        comment=command.comment or None,
        channel=command.channel,
    )


def _aware(moment: datetime) -> datetime:
    # The store gives back naive UTC datetimes.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
