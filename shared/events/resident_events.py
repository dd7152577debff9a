"""Events on the private `resident-contacts` topic, keyed by case id.

Personal data: only intake (which collects it) and notify (which uses it to reach the resident)
may read this topic; downstream systems never do. It carries the minimum notify needs to send
an SMS or an email: no name.
"""

from __future__ import annotations

from datetime import datetime

from shared.events.envelope import EventData


class ResidentContactGiven(EventData):
    TYPE = "resident.contact_given"
    VERSION = 1

    case_id: str
    phone: str | None = None
    email: str | None = None
    given_at: datetime
