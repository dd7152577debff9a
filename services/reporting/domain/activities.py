"""What a recorded meeting or themed activity adds to the daily figures. Pure.

A meeting counts on the day it was held, for its station, its liaison point (if held at one)
and the city, once per meeting id: recording the same meeting again changes nothing.

Each representative the event names gains the meeting in their own bucket (dimension
`representative`, on the meeting's station and day) under the same counter, one per meeting:
their duty record's meetings and activities attended (`duty_record.ATTENDANCE_COUNTS`). Only
the count: the head count and the linked cases are the meeting's, not each attendee's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from services.reporting.domain.contributions import Contribution, city
from services.reporting.domain.figures import totals_by
from shared.events.activity_events import MeetingKind, MeetingRecorded

COUNTER: dict[MeetingKind, str] = {
    "deliberation_meeting": "deliberation_meetings",
    "themed_activity": "themed_activities",
}
"""The counter a meeting of each kind adds to: in the places' buckets and in those of the
representatives who took part (the one mapping the duty record reads them by)."""
ACTIVITY_COUNTS = ("deliberation_meetings", "themed_activities", "attendance", "linked_cases")


def meeting_contributions(meeting: MeetingRecorded) -> list[Contribution]:
    counts = {
        COUNTER[meeting.kind]: 1,
        "attendance": meeting.attendance,
        "linked_cases": len(set(meeting.case_ids)),
    }
    made = [
        Contribution(
            dimension="station",
            station_id=meeting.station_id,
            key=meeting.station_id,
            day=meeting.held_on,
            counts=counts,
        )
    ]
    if meeting.liaison_point_id:
        made.append(
            Contribution(
                dimension="point",
                station_id=meeting.station_id,
                key=meeting.liaison_point_id,
                day=meeting.held_on,
                counts=counts,
            )
        )
    made.append(city(meeting.held_on, counts, {}))
    made.extend(
        Contribution(
            dimension="representative",
            station_id=meeting.station_id,
            key=code,
            day=meeting.held_on,
            counts={COUNTER[meeting.kind]: 1},
        )
        # Sorted and unique already from routing; set() again so a repeated code in a
        # hand-made event still counts one meeting for that representative.
        for code in sorted(set(meeting.representatives))
    )
    return made


class ActivityFigures(BaseModel):
    """Meetings and themed activities held in a period; attendance is a head count."""

    deliberation_meetings: int = 0
    themed_activities: int = 0
    attendance: int = 0
    linked_cases: int = 0

    @property
    def held(self) -> bool:
        """Whether any meeting or activity was held."""
        return bool(self.deliberation_meetings or self.themed_activities)


class ActivityStation(ActivityFigures):
    station_id: str
    station_name: str


def activity_figures(counts: Mapping[str, int]) -> ActivityFigures:
    return ActivityFigures(**{name: int(counts.get(name, 0)) for name in ACTIVITY_COUNTS})


def activities_by_station(
    station_buckets: Iterable[Mapping[str, Any]],
) -> dict[str, ActivityFigures]:
    """Each station's meetings and activities over its daily buckets."""
    return {
        station: activity_figures(total.counts)
        for station, total in totals_by(station_buckets).items()
    }


def sum_activities(figures: Iterable[ActivityFigures]) -> ActivityFigures:
    """Several stations' figures as one (the city's, say)."""
    total: Counter[str] = Counter()
    for each in figures:
        total.update(each.model_dump())
    return activity_figures(total)


def stations_that_held(
    activities: Mapping[str, ActivityFigures], names: Mapping[str, str]
) -> list[ActivityStation]:
    """The stations that held a meeting or an activity, named where the directory names them."""
    return [
        ActivityStation(
            station_id=station,
            station_name=names.get(station, station),
            **figures.model_dump(),
        )
        for station, figures in activities.items()
        if figures.held
    ]
