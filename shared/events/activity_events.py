"""Events on the `station-activities` topic, keyed by meeting id: the deliberation meetings
(议事会) and themed activities a station or liaison point holds.

Read by reporting and downstream systems (the station's activity figures, a representative's
duty record), so they carry no residents' personal data: attendance is a count, never a list of
names, and the residents' deliberators (议事员) stay in routing. The representatives who took
part travel by their directory codes: they attend as public office holders, and their duty
record counts the meetings they attended.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from shared.events.envelope import EventData

MeetingKind = Literal["deliberation_meeting", "themed_activity"]


class MeetingRecorded(EventData):
    TYPE = "meeting.recorded"
    VERSION = 1

    meeting_id: str
    kind: MeetingKind
    station_id: str
    liaison_point_id: str | None = Field(
        default=None, description="None when held at the station's own hall."
    )
    held_on: date
    topic: str
    attendance: int = Field(ge=0)
    case_ids: list[str] = Field(
        default_factory=list, description="Cases raised or discussed at the meeting."
    )
    representatives: list[str] = Field(
        default_factory=list,
        description="Directory codes of the people's-congress representatives who took part, "
        "sorted, each once; empty when the record names none (events before this field too).",
    )
    outcome: str
    recorded_by: str
    recorded_at: datetime


ACTIVITY_EVENT_TYPES: dict[str, type[EventData]] = {
    model.TYPE: model for model in (MeetingRecorded,)
}
