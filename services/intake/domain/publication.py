"""What of a case the public may read, and only when the resident chose so. Pure.

The resident form promises anonymity: a case is shown to the public (Open311 without a
partner key) only when the resident ticked "may be published" (`may_publish`) and submitted
it themself — a case staff entered for someone at the station or at a deliberation meeting is
never public, whatever its flag. What is shown is the text without the place the form appends,
with personal data scrubbed (`pii.scrub`: the resident's own contact name too, wherever they
wrote it), and the location rounded to about 100 m.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, get_args

from services.intake.domain import pii
from services.intake.domain.cases import ResidentChannel

PUBLIC_CHANNELS: Final[frozenset[str]] = frozenset(get_args(ResidentChannel))
"""The channels a resident submits through themself (not `in_person`, not `meeting`)."""
LOCATION_DECIMALS: Final = 3
"""Three decimals of a degree: 111 m of latitude, about 100 m of longitude at 28°N."""
PLACE_PREFIX: Final = "地点："
"""How the resident form appends the optional place: a last paragraph `地点：<place>`."""


def is_public(*, channel: str | None, may_publish: object) -> bool:
    """The resident consented (exactly `True`: a missing or odd value is no consent) and
    submitted the case themself."""
    return may_publish is True and channel in PUBLIC_CHANNELS


def published_at(*, channel: str, may_publish: bool, submitted_at: datetime) -> datetime | None:
    """When a case joins the public list (its submission), or None when it never does.

    Stored only on public cases, so the sparse index on it holds just them."""
    return submitted_at if is_public(channel=channel, may_publish=may_publish) else None


def with_place(text: str, place: str) -> str:
    """The text with the form's place as its last paragraph, on one line."""
    return f"{text}\n\n{PLACE_PREFIX}{' '.join(place.split())}"


def without_place(text: str) -> str:
    """The text without the place paragraph `with_place` appended (if it has one)."""
    body, separator, last = text.rpartition("\n\n")
    if separator and last.startswith(PLACE_PREFIX) and "\n" not in last:
        return body
    return text


def public_text(text: str, *, resident_name: str | None = None) -> str:
    """What the public reads of a resident's text: no appended place, no personal data, and
    not the resident's name (from their contact) wherever it appears."""
    return pii.scrub(without_place(text), names=[resident_name])


def resident_name(document: Mapping[str, Any]) -> str | None:
    """The name the resident left with their contact, if any (a case document's
    `contact.name`): the one name certain to be theirs."""
    contact = document.get("contact")
    name = contact.get("name") if isinstance(contact, Mapping) else None
    return name if isinstance(name, str) else None


def approximate(location: Mapping[str, Any] | None) -> tuple[float | None, float | None]:
    """(lat, lon) rounded to about 100 m, or (None, None) without a location."""
    if not location or location.get("lat") is None or location.get("lon") is None:
        return None, None
    return (
        round(float(location["lat"]), LOCATION_DECIMALS),
        round(float(location["lon"]), LOCATION_DECIMALS),
    )
