"""The handling workflow: a table of rules plus one pure function, `decide`.

Who may do what, from which state, to which state. Every allowed action yields the events it
causes; a forbidden one raises an error naming the current state and what is allowed instead.
Routing-level consequences (re-routing after a decline or a reassignment) are left to the
handler, which asks `route_case` for the new holder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.events.case_events import (
    CaseAccepted,
    CaseAction,
    CaseClosed,
    CaseDeclined,
    CaseMerged,
    CaseProgressed,
    CaseReassigned,
    CaseRejected,
    CaseResponded,
    CaseReturned,
    CaseReviewed,
    CaseTransferred,
)

Status = Literal[
    "assigned",
    "accepted",
    "in_review",
    "handling",
    "transferred",
    "responded",
    "closed",
    "rejected",
    "merged",
    "reopened",
]
Role = Literal["representative", "staff", "station_head", "department", "admin", "supervisor"]
ActionName = Literal[
    "accept",
    "decline",
    "begin_review",
    "approve",
    "reject",
    "merge",
    "transfer",
    "progress",
    "respond",
    "close",
    "reassign",
    "return",
]

OPEN: frozenset[Status] = frozenset(
    {"assigned", "accepted", "in_review", "handling", "transferred", "reopened"}
)
STATION_ROLES: frozenset[Role] = frozenset({"staff", "station_head"})
# The standing committee's liaison office (and admins): urge cases, send answers back.
SUPERVISING_ROLES: frozenset[Role] = frozenset({"supervisor", "admin"})
Text = Annotated[str, Field(min_length=2, max_length=2000)]


class Actor(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: Role
    username: str
    station_id: str | None = None
    representative_code: str | None = None
    department_id: str | None = None


class CaseState(BaseModel):
    """What the rules need to know about a case."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    station_id: str
    status: Status
    representative_code: str | None
    transferred_to: str | None = None
    version: int


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Accept(_Command):
    action: Literal["accept"] = "accept"


class Decline(_Command):
    action: Literal["decline"] = "decline"
    reason: Text


class BeginReview(_Command):
    action: Literal["begin_review"] = "begin_review"


class Approve(_Command):
    action: Literal["approve"] = "approve"


class Reject(_Command):
    action: Literal["reject"] = "reject"
    reason: Text = Field(description="The resident reads it.")


class Merge(_Command):
    action: Literal["merge"] = "merge"
    into_case_id: str = Field(min_length=1, max_length=64)


class Transfer(_Command):
    action: Literal["transfer"] = "transfer"
    department_id: str = Field(min_length=1, max_length=64)
    note: str | None = Field(default=None, max_length=2000)


class Progress(_Command):
    action: Literal["progress"] = "progress"
    note: Text


class Respond(_Command):
    action: Literal["respond"] = "respond"
    response: Annotated[str | None, Field(min_length=5, max_length=5000)] = None
    template_id: str | None = Field(
        default=None, description="A response template; `response`, if given, is appended."
    )

    @model_validator(mode="after")
    def _says_something(self) -> Respond:
        if self.response is None and self.template_id is None:
            raise ValueError("respond needs a response or a template_id")
        return self


class Close(_Command):
    action: Literal["close"] = "close"


class Reassign(_Command):
    action: Literal["reassign"] = "reassign"
    representative_code: str | None = Field(
        default=None, description="The new holder; none puts the case in the station's queue."
    )
    reason: Text


class Return(_Command):
    """Send a responded case back to the station to be handled again (退回重办)."""

    action: Literal["return"] = "return"
    reason: Text = Field(description="For the station: what the response lacks.")


Command = Annotated[
    Accept
    | Decline
    | BeginReview
    | Approve
    | Reject
    | Merge
    | Transfer
    | Progress
    | Respond
    | Close
    | Reassign
    | Return,
    Field(discriminator="action"),
]


@dataclass(frozen=True)
class Rule:
    sources: frozenset[Status]
    roles: frozenset[Role]
    target: Status | None  # None: the status does not change
    holder_only: bool = False  # representatives act only on cases they hold
    department_only: bool = False  # departments act only on cases transferred to them


_HANDLING: frozenset[Status] = frozenset({"handling", "transferred", "reopened"})
_REVIEWABLE: frozenset[Status] = frozenset({"accepted", "in_review"})

RULES: Mapping[ActionName, Rule] = {
    "accept": Rule(
        frozenset({"assigned"}), frozenset({"representative"}), "accepted", holder_only=True
    ),
    "decline": Rule(
        frozenset({"assigned"}), frozenset({"representative"}), "assigned", holder_only=True
    ),
    "begin_review": Rule(frozenset({"accepted"}), STATION_ROLES, "in_review"),
    "approve": Rule(_REVIEWABLE, STATION_ROLES, "handling"),
    "reject": Rule(_REVIEWABLE, STATION_ROLES, "rejected"),
    "merge": Rule(OPEN, STATION_ROLES, "merged"),
    "transfer": Rule(_HANDLING, STATION_ROLES, "transferred"),
    "progress": Rule(_HANDLING, STATION_ROLES | {"department"}, None, department_only=True),
    "respond": Rule(_HANDLING, STATION_ROLES, "responded"),
    "close": Rule(frozenset({"responded"}), STATION_ROLES, "closed"),
    "reassign": Rule(frozenset({"assigned", "accepted"}), STATION_ROLES, "assigned"),
    # Back to the station's handling: the station transfers, progresses, responds again.
    "return": Rule(frozenset({"responded"}), SUPERVISING_ROLES, "handling"),
}


class OutOfScope(Exception):
    """The actor may not even see this case (404, not 403)."""


class NotPermitted(Exception):
    """The actor's role may never take this action."""


class ActionNotAllowed(Exception):
    """Not from the current state (409)."""

    def __init__(self, *, action: str, status: Status, allowed: list[ActionName]) -> None:
        super().__init__(f"cannot {action} a case that is {status}")
        self.action = action
        self.status = status
        self.allowed = allowed


def can_see(case: CaseState, actor: Actor) -> bool:
    if actor.role in ("admin", "supervisor"):
        return True
    if actor.role in STATION_ROLES:
        return actor.station_id == case.station_id
    if actor.role == "representative":
        return actor.representative_code is not None and (
            actor.representative_code == case.representative_code
        )
    return actor.department_id is not None and actor.department_id == case.transferred_to


def _permits(rule: Rule, case: CaseState, actor: Actor) -> bool:
    if actor.role not in rule.roles:
        return False
    if actor.role in STATION_ROLES and actor.station_id != case.station_id:
        return False
    if rule.holder_only and actor.representative_code != case.representative_code:
        return False
    return not (
        rule.department_only
        and actor.role == "department"
        and actor.department_id != case.transferred_to
    )


def allowed_actions(case: CaseState, actor: Actor) -> list[ActionName]:
    """The buttons to show: actions this actor may take on this case now."""
    return [
        name
        for name, rule in RULES.items()
        if case.status in rule.sources and _permits(rule, case, actor)
    ]


@dataclass(frozen=True)
class Decision:
    action: ActionName
    source: Status
    target: Status
    events: list[CaseAction]
    reroute: bool  # the handler must pick a new holder (decline, reassign)
    changes: dict[str, object]


def authorize(case: CaseState, action: ActionName, *, actor: Actor) -> None:
    """Scope first (404), then role (403): before any other check can reveal the case."""
    if not can_see(case, actor):
        raise OutOfScope(case.case_id)
    if not _permits(RULES[action], case, actor):
        raise NotPermitted(f"a {actor.role} may not {action} this case")


def decide(
    case: CaseState,
    command: Command,
    *,
    actor: Actor,
    now: datetime,
    department_name: str | None = None,
) -> Decision:
    authorize(case, command.action, actor=actor)
    rule = RULES[command.action]
    if case.status not in rule.sources:
        raise ActionNotAllowed(
            action=command.action, status=case.status, allowed=allowed_actions(case, actor)
        )
    common = {
        "case_id": case.case_id,
        "station_id": case.station_id,
        "actor_role": _event_role(actor),
        "actor_id": actor.username,
        "at": now,
    }
    changes: dict[str, object] = {}
    event: CaseAction
    match command:
        case Accept():
            event = CaseAccepted(**common, representative_code=case.representative_code or "")
        case Decline(reason=reason):
            event = CaseDeclined(
                **common, representative_code=case.representative_code or "", reason=reason
            )
        case BeginReview():
            event = CaseReviewed(**common, outcome="started")
        case Approve():
            event = CaseReviewed(**common, outcome="approved")
        case Reject(reason=reason):
            event = CaseRejected(**common, reason=reason)
        case Merge(into_case_id=into):
            if into == case.case_id:
                raise ValueError("a case cannot be merged into itself")
            event = CaseMerged(**common, into_case_id=into)
        case Transfer(department_id=department, note=note):
            if department_name is None:
                raise ValueError(f"unknown department {department}")
            event = CaseTransferred(
                **common, department_id=department, department_name=department_name, note=note
            )
            changes["transferred_to"] = department
        case Progress(note=note):
            event = CaseProgressed(**common, note=note)
        case Respond(response=response):
            if response is None:
                raise ValueError("the template was not resolved into a response")
            event = CaseResponded(**common, response=response)
        case Close():
            event = CaseClosed(**common)
        case Reassign(representative_code=code, reason=reason):
            event = CaseReassigned(
                **common,
                from_representative=case.representative_code,
                to_representative=code,
                reason=reason,
            )
        case Return(reason=reason):
            event = CaseReturned(
                **common, reason=reason, representative_code=case.representative_code
            )
    target = rule.target or case.status
    return Decision(
        action=command.action,
        source=case.status,
        target=target,
        events=[event],
        reroute=command.action in ("decline", "reassign"),
        changes=changes,
    )


def _event_role(actor: Actor) -> Literal["representative", "staff", "department"]:
    if actor.role == "representative":
        return "representative"
    if actor.role == "department":
        return "department"
    return "staff"
