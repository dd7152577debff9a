"""Deliberation meetings (议事会) and themed activities: what a station or point held. Pure.

A record says where (the station, and the liaison point when not in the station's hall), when,
the topic, how many attended, which cases were raised or discussed and the outcome. Station
staff and heads record their own station's meetings; the cases listed must be cases of that
station, and each of them links back to the meeting.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.routing.domain.directory import Directory
from services.routing.domain.workflow import STATION_ROLES, Actor, NotPermitted
from shared.events.activity_events import MeetingKind, MeetingRecorded

CaseId = Annotated[str, Field(min_length=1, max_length=64)]
MAX_CASES = 200


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


class Meeting(BaseModel):
    model_config = ConfigDict(frozen=True)

    meeting_id: str
    kind: MeetingKind
    station_id: str
    liaison_point_id: str | None = None
    held_on: date
    topic: str
    attendance: int = Field(ge=0)
    case_ids: list[str] = Field(default_factory=list)
    outcome: str
    recorded_by: str
    recorded_at: datetime


class InvalidMeeting(ValueError):
    """The record names something that does not fit the station (422)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


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
    problems: list[str] = []
    if command.liaison_point_id is not None:
        point = directory.point(command.liaison_point_id)
        if point is None or point.station != station:
            problems.append(f"liaison point {command.liaison_point_id} is not in station {station}")
    case_ids = unique(command.case_ids)
    foreign = [c for c in case_ids if c not in station_cases]
    if foreign:
        problems.append(f"not cases of station {station}: {', '.join(foreign)}")
    if command.held_on > today:
        problems.append(f"held_on {command.held_on.isoformat()} is in the future")
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
    )


def meeting_recorded(meeting: Meeting) -> MeetingRecorded:
    return MeetingRecorded(**meeting.model_dump())


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
