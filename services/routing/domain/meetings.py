"""Deliberation meetings (议事会) and themed activities: what a station or point held. Pure.

A record says where (the station, and the liaison point when not in the station's hall), when,
the topic, how many attended, which cases were raised or discussed and the outcome. Station
staff and heads record their own station's meetings; the cases listed must be cases of that
station, and each of them links back to the meeting.

A deliberation meeting can also be planned first and then held (docs/meetings.md): planned
with an agenda (items of the station's cases, see domain/meeting_agenda.py for the proposal),
the representatives who take part and the residents' deliberators (议事员, by name and role);
held with its minutes; then each agenda item gets a decision naming the cases it decides, and
the decision is written back to each of them. A meeting recorded after the fact is simply
`held` from the start, with no agenda.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.routing.domain.directory import Directory
from services.routing.domain.workflow import STATION_ROLES, Actor, NotPermitted
from shared.events.activity_events import MeetingKind, MeetingRecorded
from shared.events.case_events import CaseMeetingDecided

CaseId = Annotated[str, Field(min_length=1, max_length=64)]
RepresentativeCode = Annotated[str, Field(min_length=1, max_length=16)]
MAX_CASES = 200
MAX_ITEMS = 20
MAX_PARTICIPANTS = 100
MeetingStatus = Literal["planned", "held"]


class RecordMeeting(BaseModel):
    """The command: what staff write down after a meeting or activity."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: MeetingKind
    liaison_point_id: str | None = Field(
        default=None, max_length=64, description="None: held at the station's hall."
    )
    held_on: date
    topic: str = Field(min_length=2, max_length=200)
    attendance: int = Field(ge=0, le=100_000, description="How many people took part.")
    case_ids: list[CaseId] = Field(
        default_factory=list,
        max_length=MAX_CASES,
        description="Cases raised or discussed; each links back to the meeting.",
    )
    outcome: str = Field(min_length=2, max_length=5000)
    representatives: list[RepresentativeCode] = Field(
        default_factory=list,
        max_length=MAX_PARTICIPANTS,
        description="Directory codes of the representatives who took part (their duty records).",
    )


class Deliberator(BaseModel):
    """A resident deliberator (议事员) or other resident taking part: their name stays in
    routing's store, events carry only how many took part."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=40)
    role: str = Field(default="议事员", min_length=1, max_length=40)


class AgendaItemPlan(BaseModel):
    """An item as planned: usually a proposed item, its title perhaps reworded."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = Field(min_length=2, max_length=200)
    category: str | None = Field(default=None, max_length=64)
    case_ids: list[CaseId] = Field(min_length=1, max_length=MAX_CASES)


class PlanMeeting(BaseModel):
    """The command: a deliberation meeting the station will hold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    liaison_point_id: str | None = Field(
        default=None, max_length=64, description="None: held in the station's hall."
    )
    planned_on: date
    topic: str = Field(min_length=2, max_length=200)
    agenda: list[AgendaItemPlan] = Field(min_length=1, max_length=MAX_ITEMS)
    representatives: list[RepresentativeCode] = Field(
        default_factory=list, max_length=MAX_PARTICIPANTS, description="Directory codes."
    )
    deliberators: list[Deliberator] = Field(default_factory=list, max_length=MAX_PARTICIPANTS)


class HoldMeeting(BaseModel):
    """The command: the planned meeting took place."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    held_on: date | None = Field(default=None, description="None: on the day planned.")
    attendance: int = Field(ge=0, le=100_000, description="How many people took part.")
    minutes: str = Field(
        min_length=2, max_length=20_000, description="Kept in routing: may name participants."
    )
    outcome: str = Field(
        min_length=2, max_length=5000, description="The public summary the activity event carries."
    )


class DecideItem(BaseModel):
    """The command: what the meeting decided on one agenda item."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    decision: str = Field(min_length=2, max_length=2000)
    case_ids: list[CaseId] | None = Field(
        default=None, max_length=MAX_CASES, description="None: every case of the item."
    )


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    case_ids: list[str]
    decided_by: str
    decided_at: datetime


class AgendaItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    item_id: str
    title: str
    category: str | None = None
    case_ids: list[str]
    decision: Decision | None = None


class Meeting(BaseModel):
    model_config = ConfigDict(frozen=True)

    meeting_id: str
    kind: MeetingKind
    station_id: str
    liaison_point_id: str | None = None
    held_on: date = Field(description="The day held, or while `planned` the day planned.")
    topic: str
    attendance: int = Field(ge=0)
    case_ids: list[str] = Field(default_factory=list)
    outcome: str
    recorded_by: str
    recorded_at: datetime
    # Planned meetings (recorded ones are `held` from the start and have none of these).
    status: MeetingStatus = "held"
    agenda: list[AgendaItem] = Field(default_factory=list)
    representatives: list[str] = Field(default_factory=list)
    deliberators: list[Deliberator] = Field(default_factory=list)
    minutes: str | None = None
    version: int = Field(
        default=1, ge=1, description="Moves with each step of a planned meeting (hold, decide)."
    )

    def item(self, item_id: str) -> AgendaItem | None:
        return next((i for i in self.agenda if i.item_id == item_id), None)


MeetingProblemCode = Literal[
    "point_not_in_station",
    "cases_not_of_station",
    "held_in_future",
    "planned_in_past",
    "case_on_two_items",
    "unknown_representatives",
    "decision_without_cases",
    "cases_not_of_item",
]
# The API's sentence for each problem, filled with the problem's values.
_PROBLEM_TEXTS: Mapping[MeetingProblemCode, str] = {
    "point_not_in_station": "liaison point {point} is not in station {station}",
    "cases_not_of_station": "not cases of station {station}: {cases}",
    "held_in_future": "held_on {day} is in the future",
    "planned_in_past": "planned_on {day} is in the past",
    "case_on_two_items": "on more than one agenda item: {cases}",
    "unknown_representatives": "not representatives in the directory: {codes}",
    "decision_without_cases": "a decision names at least one case",
    "cases_not_of_item": "not cases of agenda item {item}: {cases}",
}


@dataclasses.dataclass(frozen=True)
class MeetingProblem:
    """One reason a command is refused: the form field it concerns (as the workbench's forms
    name it), what is wrong (`code`) and the values that say so (ids, days, comma-separated
    lists). The pages word it in their language; the API sends `text`."""

    field: str
    code: MeetingProblemCode
    values: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def text(self) -> str:
        return _PROBLEM_TEXTS[self.code].format(**self.values)


class InvalidMeeting(ValueError):
    """The record names something that does not fit the station (422).

    `details`: every problem found; `problems`: the same as the API's English sentences."""

    def __init__(self, details: Sequence[MeetingProblem]) -> None:
        self.details = list(details)
        self.problems = [d.text for d in self.details]
        super().__init__("; ".join(self.problems))


def unique(case_ids: list[str]) -> list[str]:
    """The case ids once each, in the order given."""
    return list(dict.fromkeys(case_ids))


def record_meeting(
    command: RecordMeeting,
    *,
    meeting_id: str,
    actor: Actor,
    directory: Directory,
    station_cases: frozenset[str],
    today: date,
    now: datetime,
) -> Meeting:
    """The meeting to store, or the reasons it cannot be.

    `station_cases` holds those of the command's case ids that are cases of the actor's
    station (the handler looks them up)."""
    if actor.role not in STATION_ROLES or actor.station_id is None:
        raise NotPermitted(f"a {actor.role} may not record a station's meetings")
    station = actor.station_id
    problems = _foreign_point(command.liaison_point_id, station, directory)
    case_ids = unique(command.case_ids)
    problems.extend(_foreign_cases(case_ids, station, station_cases, field="case_ids"))
    if command.held_on > today:
        problems.append(_held_in_future(command.held_on))
    problems.extend(_unknown_representatives(command.representatives, directory))
    if problems:
        raise InvalidMeeting(problems)
    return Meeting(
        meeting_id=meeting_id,
        kind=command.kind,
        station_id=station,
        liaison_point_id=command.liaison_point_id,
        held_on=command.held_on,
        topic=command.topic,
        attendance=command.attendance,
        case_ids=case_ids,
        outcome=command.outcome,
        recorded_by=actor.username,
        recorded_at=now,
        representatives=unique(command.representatives),
    )


def _listed(ids: list[str]) -> str:
    return ", ".join(ids)


def _foreign_point(
    point_id: str | None, station: str, directory: Directory
) -> list[MeetingProblem]:
    if point_id is None:
        return []
    point = directory.point(point_id)
    if point is not None and point.station == station:
        return []
    values = {"point": point_id, "station": station}
    return [MeetingProblem("liaison_point_id", "point_not_in_station", values)]


def _foreign_cases(
    case_ids: list[str], station: str, station_cases: frozenset[str], *, field: str
) -> list[MeetingProblem]:
    foreign = [c for c in case_ids if c not in station_cases]
    if not foreign:
        return []
    values = {"station": station, "cases": _listed(foreign)}
    return [MeetingProblem(field, "cases_not_of_station", values)]


def _held_in_future(day: date) -> MeetingProblem:
    return MeetingProblem("held_on", "held_in_future", {"day": day.isoformat()})


def _unknown_representatives(codes: list[str], directory: Directory) -> list[MeetingProblem]:
    unknown = [r for r in unique(codes) if directory.representative(r) is None]
    if not unknown:
        return []
    values = {"codes": _listed(unknown)}
    return [MeetingProblem("representatives", "unknown_representatives", values)]


class NoSuchItem(LookupError):
    """No agenda item of that id in the meeting (404)."""


class NoSuchMeeting(LookupError):
    """No meeting of that id in the caller's scope (404)."""


class MeetingNotAllowed(Exception):
    """The meeting is not in a state for this (409): the reason says why."""


def _station_of(actor: Actor, what: str) -> str:
    if actor.role not in STATION_ROLES or actor.station_id is None:
        raise NotPermitted(f"a {actor.role} may not {what}")
    return actor.station_id


def plan_meeting(
    command: PlanMeeting,
    *,
    meeting_id: str,
    actor: Actor,
    directory: Directory,
    station_cases: frozenset[str],
    today: date,
    now: datetime,
) -> Meeting:
    """The planned meeting to store, or every reason it cannot be.

    `station_cases` holds those of the agenda's case ids that are cases of the actor's station.
    A case sits on one item only: one decision per case and meeting."""
    station = _station_of(actor, "plan a station's meetings")
    problems = _foreign_point(command.liaison_point_id, station, directory)
    if command.planned_on < today:
        day = command.planned_on.isoformat()
        problems.append(MeetingProblem("planned_on", "planned_in_past", {"day": day}))
    seen: set[str] = set()
    twice: list[str] = []
    for item in command.agenda:
        for case_id in unique(item.case_ids):
            if case_id in seen:
                twice.append(case_id)
            seen.add(case_id)
    if twice:
        values = {"cases": _listed(unique(twice))}
        problems.append(MeetingProblem("agenda", "case_on_two_items", values))
    case_ids = unique([c for item in command.agenda for c in item.case_ids])
    problems.extend(_foreign_cases(case_ids, station, station_cases, field="agenda"))
    problems.extend(_unknown_representatives(command.representatives, directory))
    if problems:
        raise InvalidMeeting(problems)
    return Meeting(
        meeting_id=meeting_id,
        kind="deliberation_meeting",
        station_id=station,
        liaison_point_id=command.liaison_point_id,
        held_on=command.planned_on,
        topic=command.topic,
        attendance=0,
        case_ids=case_ids,
        outcome="",
        recorded_by=actor.username,
        recorded_at=now,
        status="planned",
        agenda=[
            AgendaItem(
                item_id=str(n),
                title=item.title,
                category=item.category,
                case_ids=unique(item.case_ids),
            )
            for n, item in enumerate(command.agenda, start=1)
        ],
        representatives=unique(command.representatives),
        deliberators=list(command.deliberators),
    )


def _manages(meeting: Meeting, actor: Actor) -> None:
    station = _station_of(actor, "hold a station's meetings")
    if station != meeting.station_id:
        raise NoSuchMeeting(meeting.meeting_id)


def hold_meeting(meeting: Meeting, command: HoldMeeting, *, actor: Actor, today: date) -> Meeting:
    """The planned meeting once held: its day, head count, minutes and public outcome."""
    _manages(meeting, actor)
    if meeting.status != "planned":
        raise MeetingNotAllowed("the meeting is already held")
    held_on = command.held_on or meeting.held_on
    if held_on > today:
        raise InvalidMeeting([_held_in_future(held_on)])
    return meeting.model_copy(
        update={
            "status": "held",
            "held_on": held_on,
            "attendance": command.attendance,
            "minutes": command.minutes,
            "outcome": command.outcome,
            "version": meeting.version + 1,
        }
    )


def decide_item(
    meeting: Meeting, item_id: str, command: DecideItem, *, actor: Actor, now: datetime
) -> tuple[Meeting, Decision | None]:
    """The meeting with the item's decision, and the decision when it is new (None: the same
    decision was recorded before, nothing to write or tell anyone again).

    A decision stands once made: a different one for a decided item is refused (409)."""
    _manages(meeting, actor)
    item = meeting.item(item_id)
    if item is None:
        raise NoSuchItem(item_id)
    if meeting.status != "held":
        raise MeetingNotAllowed("record the meeting's minutes first: decisions follow holding it")
    case_ids = unique(command.case_ids) if command.case_ids else item.case_ids
    if not case_ids:
        raise InvalidMeeting([MeetingProblem("case_id", "decision_without_cases")])
    strangers = [c for c in case_ids if c not in item.case_ids]
    if strangers:
        values = {"item": item_id, "cases": _listed(strangers)}
        raise InvalidMeeting([MeetingProblem("case_id", "cases_not_of_item", values)])
    if item.decision is not None:
        same = item.decision.text == command.decision and set(item.decision.case_ids) == set(
            case_ids
        )
        if same:
            return meeting, None
        raise MeetingNotAllowed(f"agenda item {item_id} is decided already")
    decision = Decision(
        text=command.decision, case_ids=case_ids, decided_by=actor.username, decided_at=now
    )
    decided = item.model_copy(update={"decision": decision})
    agenda = [decided if i.item_id == item_id else i for i in meeting.agenda]
    return meeting.model_copy(update={"agenda": agenda, "version": meeting.version + 1}), decision


def decided_events(
    meeting: Meeting,
    item: AgendaItem,
    decision: Decision,
    *,
    stations: dict[str, str],
    actor: Actor,
) -> list[CaseMeetingDecided]:
    """One `case.meeting_decided` per case the decision names, in the decision's order.

    `stations`: each case's station now (a case transferred on keeps its own key order)."""
    return [
        CaseMeetingDecided(
            case_id=case_id,
            station_id=stations.get(case_id, meeting.station_id),
            actor_role="staff",
            actor_id=actor.username,
            at=decision.decided_at,
            meeting_id=meeting.meeting_id,
            item_id=item.item_id,
            held_on=meeting.held_on,
            item_title=item.title,
            decision=decision.text,
            decided_cases=len(decision.case_ids),
        )
        for case_id in decision.case_ids
    ]


def meeting_recorded(meeting: Meeting) -> MeetingRecorded:
    """The activity event: counts and the public outcome, never the minutes nor residents'
    names. The representatives' codes travel: public office holders, counted in their duty
    records."""
    return MeetingRecorded(
        meeting_id=meeting.meeting_id,
        kind=meeting.kind,
        station_id=meeting.station_id,
        liaison_point_id=meeting.liaison_point_id,
        held_on=meeting.held_on,
        topic=meeting.topic,
        attendance=meeting.attendance,
        case_ids=meeting.case_ids,
        representatives=sorted(set(meeting.representatives)),
        outcome=meeting.outcome,
        recorded_by=meeting.recorded_by,
        recorded_at=meeting.recorded_at,
    )


def meeting_scope(actor: Actor) -> str | None:
    """The station whose meetings the actor reads; None for every station.

    Raises NotPermitted for representatives and departments."""
    if actor.role in ("admin", "supervisor"):
        return None
    if actor.role in STATION_ROLES and actor.station_id is not None:
        return actor.station_id
    raise NotPermitted(f"a {actor.role} may not read station meetings")


def can_see_meeting(meeting: Meeting, actor: Actor) -> bool:
    if actor.role in ("admin", "supervisor"):
        return True
    return actor.role in STATION_ROLES and actor.station_id == meeting.station_id
