"""Formal suggestions (代表建议) to the people's congress session. Pure.

A representative turns one or more cases into a formal suggestion: a title and body of their
own, co-signing representatives, the department that must answer and the statutory deadline.
The department answers, the lead representative evaluates the answer; dissatisfied with a
first answer, the department answers once more. The steps are a table (`RULES`) and one
function (`decide`), like the case workflow. Rules in docs/suggestions.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.routing.domain.directory import Directory
from services.routing.domain.workflow import STATION_ROLES, Actor, NotPermitted, Role
from shared.events.case_events import (
    CaseSuggestionAnswered,
    CaseSuggestionEvaluated,
    CaseSuggestionLinked,
    SuggestionRating,
)

SuggestionStatus = Literal["submitted", "answered", "reanswer", "evaluated"]
SuggestionAction = Literal["answer", "evaluate"]
CaseId = Annotated[str, Field(min_length=1, max_length=64)]
Code = Annotated[str, Field(min_length=1, max_length=32)]
MAX_CASES = 50
MAX_COSIGNERS = 50
# Still waiting for the department: past the deadline in these, a suggestion is overdue.
AWAITING_ANSWER: frozenset[SuggestionStatus] = frozenset({"submitted", "reanswer"})
CITY_WIDE: frozenset[Role] = frozenset({"supervisor", "admin"})
ANSWERING_ROLES: frozenset[Role] = frozenset({"department", "staff", "station_head"})


class SubmitSuggestion(BaseModel):
    """The command: what a representative writes. Nothing of the cases is copied into it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = Field(min_length=2, max_length=200)
    body: str = Field(min_length=2, max_length=20_000)
    case_ids: list[CaseId] = Field(min_length=1, max_length=MAX_CASES)
    cosigners: list[Code] = Field(default_factory=list, max_length=MAX_COSIGNERS)
    department_id: str = Field(min_length=1, max_length=64)
    answer_due: date | None = Field(
        default=None, description="An explicit statutory deadline; default: the configured days."
    )


class AnswerSuggestion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    answer: str = Field(min_length=2, max_length=20_000)


class EvaluateSuggestion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rating: SuggestionRating
    comment: str | None = Field(default=None, max_length=2000)


class Answer(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    by: str = Field(description="The username who recorded it.")
    by_role: Role
    at: datetime


class Evaluation(BaseModel):
    model_config = ConfigDict(frozen=True)

    rating: SuggestionRating
    comment: str | None = None
    at: datetime


class Suggestion(BaseModel):
    model_config = ConfigDict(frozen=True)

    suggestion_id: str
    number: str
    year: int
    title: str
    body: str
    station_id: str = Field(description="The lead representative's station.")
    lead_representative: str
    lead_name: str
    author: str = Field(description="The lead representative's username.")
    cosigners: list[str] = Field(default_factory=list)
    case_ids: list[str]
    department_id: str
    department_name: str
    answer_due: date
    status: SuggestionStatus
    submitted_at: datetime
    answers: list[Answer] = Field(default_factory=list)
    evaluations: list[Evaluation] = Field(default_factory=list)
    version: int = 1

    @property
    def answer(self) -> Answer | None:
        return self.answers[-1] if self.answers else None

    @property
    def evaluation(self) -> Evaluation | None:
        return self.evaluations[-1] if self.evaluations else None

    def overdue_on(self, today: date) -> bool:
        return is_overdue(status=self.status, answer_due=self.answer_due, today=today)


class LinkedCase(BaseModel):
    """What the rules need of a case the suggestion names."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    station_id: str
    representative_code: str | None = None


class InvalidSuggestion(ValueError):
    """The suggestion names something that does not exist or does not fit (422)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class SuggestionNotAllowed(Exception):
    """Not from the suggestion's current status (409)."""

    def __init__(self, *, action: SuggestionAction, status: SuggestionStatus) -> None:
        super().__init__(f"cannot {action} a suggestion that is {status}")
        self.action = action
        self.status = status


class SuggestionOutOfScope(Exception):
    """The actor may not see this suggestion (404, never confirming it exists)."""


def is_overdue(*, status: SuggestionStatus, answer_due: date, today: date) -> bool:
    """Unanswered after its deadline day."""
    return status in AWAITING_ANSWER and today > answer_due


def answer_deadline(*, submitted_on: date, days: int, explicit: date | None) -> date:
    """The statutory deadline: the explicit day, or `days` calendar days after submission."""
    if explicit is not None:
        if explicit <= submitted_on:
            raise InvalidSuggestion([f"answer_due {explicit.isoformat()} is not in the future"])
        return explicit
    return submitted_on + timedelta(days=days)


def suggestion_number(*, year: int, sequence: int) -> str:
    """The session year's running number: 2027-001, 2027-002, … (wider past 999)."""
    return f"{year}-{sequence:03d}"


def unique(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(values))


def submit_suggestion(
    command: SubmitSuggestion,
    *,
    suggestion_id: str,
    actor: Actor,
    directory: Directory,
    cases: Mapping[str, LinkedCase],
    number: str,
    year: int,
    answer_due: date,
    now: datetime,
) -> Suggestion:
    """The suggestion to store, or every reason it cannot be.

    Linked cases must be cases of the author's station or cases the author holds; co-signers
    are other representatives of the directory; the department is the directory's."""
    if actor.role != "representative" or actor.representative_code is None:
        raise NotPermitted("only representatives submit formal suggestions")
    lead = directory.representative(actor.representative_code)
    if lead is None:
        raise NotPermitted(f"representative {actor.representative_code} is not in the directory")
    problems: list[str] = []
    case_ids = unique(command.case_ids)
    missing = [c for c in case_ids if c not in cases]
    # An unknown case and another station's case read alike: neither is confirmed to exist.
    foreign = [
        c
        for c in case_ids
        if c in cases
        and cases[c].station_id != lead.station
        and cases[c].representative_code != lead.code
    ]
    if missing or foreign:
        problems.append(
            f"not cases of station {lead.station} or held by {lead.code}: "
            + ", ".join(missing + foreign)
        )
    cosigners = [c for c in unique(command.cosigners) if c != lead.code]
    unknown = [c for c in cosigners if directory.representative(c) is None]
    if unknown:
        problems.append(f"no such representatives: {', '.join(unknown)}")
    department = directory.department(command.department_id)
    if department is None:
        problems.append(f"no such department: {command.department_id}")
    if problems or department is None:
        raise InvalidSuggestion(problems)
    return Suggestion(
        suggestion_id=suggestion_id,
        number=number,
        year=year,
        title=command.title,
        body=command.body,
        station_id=lead.station,
        lead_representative=lead.code,
        lead_name=lead.name,
        author=actor.username,
        cosigners=cosigners,
        case_ids=case_ids,
        department_id=department.id,
        department_name=department.name,
        answer_due=answer_due,
        status="submitted",
        submitted_at=now,
    )


@dataclass(frozen=True)
class Rule:
    """From which statuses, and by which roles, an action may be taken."""

    from_statuses: frozenset[SuggestionStatus]
    roles: frozenset[Role]


RULES: Mapping[SuggestionAction, Rule] = {
    # The department that must answer, or its station's staff recording it on its behalf.
    "answer": Rule(frozenset(AWAITING_ANSWER), ANSWERING_ROLES),
    # The lead representative only.
    "evaluate": Rule(frozenset({"answered"}), frozenset({"representative"})),
}


def allowed_actions(suggestion: Suggestion, actor: Actor) -> list[SuggestionAction]:
    """What the actor may do to the suggestion now (the pages show these forms)."""
    return [
        action
        for action, rule in RULES.items()
        if suggestion.status in rule.from_statuses
        and actor.role in rule.roles
        and _acts_for(suggestion, actor, action)
    ]


def _acts_for(suggestion: Suggestion, actor: Actor, action: SuggestionAction) -> bool:
    if action == "evaluate":
        return actor.representative_code == suggestion.lead_representative
    if actor.role == "department":
        return actor.department_id == suggestion.department_id
    return actor.station_id == suggestion.station_id


def _check(suggestion: Suggestion, actor: Actor, action: SuggestionAction) -> None:
    if not can_see(suggestion, actor):
        raise SuggestionOutOfScope
    rule = RULES[action]
    if actor.role not in rule.roles or not _acts_for(suggestion, actor, action):
        raise NotPermitted(f"a {actor.role} may not {action} this suggestion")
    if suggestion.status not in rule.from_statuses:
        raise SuggestionNotAllowed(action=action, status=suggestion.status)


def answer_suggestion(
    suggestion: Suggestion, command: AnswerSuggestion, *, actor: Actor, now: datetime
) -> Suggestion:
    _check(suggestion, actor, "answer")
    answer = Answer(text=command.answer, by=actor.username, by_role=actor.role, at=now)
    return suggestion.model_copy(
        update={
            "status": "answered",
            "answers": [*suggestion.answers, answer],
            "version": suggestion.version + 1,
        }
    )


def evaluate_suggestion(
    suggestion: Suggestion, command: EvaluateSuggestion, *, actor: Actor, now: datetime
) -> Suggestion:
    """Dissatisfied with the first answer: back to the department once (`reanswer`)."""
    _check(suggestion, actor, "evaluate")
    evaluation = Evaluation(rating=command.rating, comment=command.comment, at=now)
    reanswer = command.rating == "dissatisfied" and len(suggestion.answers) == 1
    status: SuggestionStatus = "reanswer" if reanswer else "evaluated"
    return suggestion.model_copy(
        update={
            "status": status,
            "evaluations": [*suggestion.evaluations, evaluation],
            "version": suggestion.version + 1,
        }
    )


def actor_role(actor: Actor) -> Literal["representative", "staff", "department"]:
    """How an event names who acted (station heads act as staff)."""
    if actor.role in ("representative", "department"):
        return "representative" if actor.role == "representative" else "department"
    return "staff"


def linked_events(
    suggestion: Suggestion, *, stations: Mapping[str, str], actor: Actor
) -> list[CaseSuggestionLinked]:
    """`case.suggestion_linked` for each linked case; `stations`: each case's station."""
    return [
        CaseSuggestionLinked(
            case_id=case_id,
            station_id=stations[case_id],
            actor_role=actor_role(actor),
            actor_id=suggestion.author,
            at=suggestion.submitted_at,
            suggestion_id=suggestion.suggestion_id,
            number=suggestion.number,
            title=suggestion.title,
            lead_representative=suggestion.lead_representative,
            cosigners=suggestion.cosigners,
            department_id=suggestion.department_id,
            department_name=suggestion.department_name,
            answer_due=suggestion.answer_due,
            linked_cases=len(suggestion.case_ids),
        )
        for case_id in suggestion.case_ids
    ]


def answered_events(
    suggestion: Suggestion, *, stations: Mapping[str, str], actor: Actor
) -> list[CaseSuggestionAnswered]:
    answer = suggestion.answer
    assert answer is not None
    return [
        CaseSuggestionAnswered(
            case_id=case_id,
            station_id=stations[case_id],
            actor_role=actor_role(actor),
            actor_id=actor.username,
            at=answer.at,
            suggestion_id=suggestion.suggestion_id,
            number=suggestion.number,
            title=suggestion.title,
            department_id=suggestion.department_id,
            department_name=suggestion.department_name,
            answer=answer.text,
            round=len(suggestion.answers),
        )
        for case_id in suggestion.case_ids
    ]


def evaluated_events(
    suggestion: Suggestion, *, stations: Mapping[str, str], actor: Actor
) -> list[CaseSuggestionEvaluated]:
    evaluation = suggestion.evaluation
    assert evaluation is not None
    return [
        CaseSuggestionEvaluated(
            case_id=case_id,
            station_id=stations[case_id],
            actor_role="representative",
            actor_id=actor.username,
            at=evaluation.at,
            suggestion_id=suggestion.suggestion_id,
            number=suggestion.number,
            lead_representative=suggestion.lead_representative,
            rating=evaluation.rating,
            comment=evaluation.comment,
            reanswer=suggestion.status == "reanswer",
        )
        for case_id in suggestion.case_ids
    ]


@dataclass(frozen=True)
class SuggestionScope:
    """Which suggestions an actor reads; None in a field: no limit on it."""

    station_id: str | None = None
    department_id: str | None = None
    representative_code: str | None = None


def suggestion_scope(actor: Actor) -> SuggestionScope:
    """Supervisors and admins read all; station staff their station's; a department those it
    must answer; a representative those they lead or co-sign."""
    if actor.role in CITY_WIDE:
        return SuggestionScope()
    if actor.role in STATION_ROLES and actor.station_id is not None:
        return SuggestionScope(station_id=actor.station_id)
    if actor.role == "department" and actor.department_id is not None:
        return SuggestionScope(department_id=actor.department_id)
    if actor.role == "representative" and actor.representative_code is not None:
        return SuggestionScope(representative_code=actor.representative_code)
    raise NotPermitted(f"a {actor.role} without a scope reads no suggestions")


def can_see(suggestion: Suggestion, actor: Actor) -> bool:
    try:
        scope = suggestion_scope(actor)
    except NotPermitted:
        return False
    if scope.station_id is not None and suggestion.station_id != scope.station_id:
        return False
    if scope.department_id is not None and suggestion.department_id != scope.department_id:
        return False
    code = scope.representative_code
    return code is None or code == suggestion.lead_representative or code in suggestion.cosigners


EXPORT_COLUMNS = (
    "number",
    "title",
    "status",
    "overdue",
    "lead_representative",
    "lead_name",
    "cosigners",
    "station_id",
    "department",
    "case_count",
    "submitted_at",
    "answer_due",
    "answered_at",
    "answer",
    "rating",
    "comment",
)


def export_row(suggestion: Suggestion, *, today: date) -> list[str]:
    """One suggestion as a row of the export, in EXPORT_COLUMNS order."""
    answer, evaluation = suggestion.answer, suggestion.evaluation
    return [
        suggestion.number,
        suggestion.title,
        suggestion.status,
        "yes" if suggestion.overdue_on(today) else "no",
        suggestion.lead_representative,
        suggestion.lead_name,
        " ".join(suggestion.cosigners),
        suggestion.station_id,
        suggestion.department_name,
        str(len(suggestion.case_ids)),
        suggestion.submitted_at.isoformat(),
        suggestion.answer_due.isoformat(),
        answer.at.isoformat() if answer else "",
        answer.text if answer else "",
        evaluation.rating if evaluation else "",
        (evaluation.comment or "") if evaluation else "",
    ]
