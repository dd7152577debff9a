"""Events on the `case-events` topic, keyed by case id.

Read by routing, notify, reporting, intake and downstream systems, so they carry no resident
personal data: no name, phone or email, only whether contact was given.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from shared.events.envelope import EventData

Channel = Literal["qr", "web", "in_person", "meeting", "open311", "api"]


class GeoPoint(EventData):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class CaseSubmitted(EventData):
    TYPE = "case.submitted"
    VERSION = 1

    case_id: str
    category: str
    text: str
    channel: Channel
    representative_code: str | None = None
    liaison_point_id: str | None = None
    location: GeoPoint | None = None
    has_contact: bool = False
    submitted_at: datetime


class CaseAssigned(EventData):
    TYPE = "case.assigned"
    VERSION = 1

    case_id: str
    category: str
    station_id: str
    station_name: str
    liaison_point_id: str | None = None
    representative_code: str | None = Field(
        default=None, description="None when the case waits in the station's queue."
    )
    representative_name: str | None = None
    reason: str = Field(description="Why this holder was chosen, for staff and residents.")
    assigned_at: datetime


CASE_EVENT_TYPES: dict[str, type[EventData]] = {
    model.TYPE: model for model in (CaseSubmitted, CaseAssigned)
}
