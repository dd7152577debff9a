"""Events on the private `resident-contacts` topic, keyed by case id.

Personal data: only intake (which collects it) and notify (which uses it to reach the resident)
may read this topic; downstream systems never do. It carries the minimum notify needs to send
an SMS or an email, in the language the resident used: no name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from shared.events.envelope import EventData

ResidentLanguage = Literal["zh", "en"]
"""The languages a resident can use the pages in, and so be written to in."""


class ResidentContactGiven(EventData):
    TYPE = "resident.contact_given"
    VERSION = 1

    case_id: str
    phone: str | None = None
    email: str | None = None
    # Added within v1 (compatible): older events lack it, and residents were written to in zh.
    language: ResidentLanguage = "zh"
    given_at: datetime
    # Added within v1 (compatible): set when the contact is a supporter's ("me too") of the
    # case `case_id`, not the resident's who submitted it; notify keeps it under this id.
    supporter_id: str | None = None
