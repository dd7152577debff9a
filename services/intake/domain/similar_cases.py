"""Open cases like a resident's draft, as the public may see them. Pure.

A suggestion is read by anyone who starts typing a case, so it carries only what the tracking
page would show a stranger: the category, the liaison point's name, the status, the day it was
submitted and how many residents said "me too". The text only when that case's resident
consented to publish it (publication.is_public), scrubbed of personal data; never a contact,
a tracking code (a secret that unlocks a case) or the exact location. Its `case_id` is the
public identifier Open311 already uses: it unlocks nothing, it only names the case a resident
joins.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, tzinfo
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

from services.intake.domain.cases import Code
from services.intake.domain.publication import is_public, public_text, resident_name
from shared.events.case_events import CaseStatus, GeoPoint
from shared.similarity import NEARBY_M, Place, Profile, distance_m
from shared.zones import city_day

OPEN_STATUSES: Final[tuple[CaseStatus, ...]] = (
    "submitted",
    "assigned",
    "accepted",
    "in_review",
    "handling",
    "declined",
    "transferred",
    "reopened",
    "responded",
)
"""A case a resident may still join: not closed, rejected or merged."""
CANDIDATES: Final = 200
"""How many of the newest open cases of the station and category are compared with a draft."""
MAX_SUGGESTIONS: Final = 5


class SimilarDraft(BaseModel):
    """What the resident has typed so far (the submission's fields that place it)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    category: Code
    text: str = Field(min_length=5, max_length=5000)
    representative_code: Code | None = None
    liaison_point_id: Code | None = None
    location: GeoPoint | None = None


class SimilarCase(BaseModel):
    """One open case like the draft, with nothing personal in it."""

    model_config = ConfigDict(frozen=True)

    case_id: str = Field(description="The case's public id: `POST /v1/cases/{case_id}/supporters`.")
    category: str
    point_name: str | None = Field(description="The liaison point's name, when known.")
    status: CaseStatus
    submitted_on: date
    supporters: int = Field(description='Residents who said "me too".')
    text: str | None = Field(
        description="Only when the case's resident consented to publish it, personal data removed."
    )
    score: float = Field(description="How alike, 0 to 1.")


class SimilarCases(BaseModel):
    cases: list[SimilarCase]


def place_of(
    *,
    point_id: str | None,
    location: Mapping[str, Any] | None,
    points: Mapping[str, Mapping[str, Any]],
) -> Place:
    """The place of a case or a draft: its point, and its own location or else its point's."""
    if location and location.get("lat") is not None and location.get("lon") is not None:
        return Place(point_id=point_id, lat=float(location["lat"]), lon=float(location["lon"]))
    point = points.get(point_id or "") or {}
    lat, lon = point.get("lat"), point.get("lon")
    if lat is None or lon is None:
        return Place(point_id=point_id)
    return Place(point_id=point_id, lat=float(lat), lon=float(lon))


def neighbourhood(
    draft: SimilarDraft,
    *,
    points: Mapping[str, Mapping[str, Any]],
    representative: Mapping[str, Any] | None,
) -> tuple[str, str | None] | None:
    """The station to look in and the draft's liaison point: the point it names, else the
    QR representative's (first) point or station, else the point nearest its location within
    `NEARBY_M`; None when the draft says nothing of where it is."""
    if draft.liaison_point_id and draft.liaison_point_id in points:
        return str(points[draft.liaison_point_id]["station"]), draft.liaison_point_id
    if representative is not None:
        own = [p for p in representative.get("points") or () if p in points]
        return str(representative["station"]), own[0] if own else None
    if draft.location is not None:
        located = [
            (distance_m(draft.location.lat, draft.location.lon, p["lat"], p["lon"]), key)
            for key, p in points.items()
            if p.get("lat") is not None and p.get("lon") is not None
        ]
        nearest = min(located, default=None)
        if nearest is not None and nearest[0] <= NEARBY_M:
            return str(points[nearest[1]]["station"]), nearest[1]
    return None


def profile_of(document: Mapping[str, Any], *, points: Mapping[str, Mapping[str, Any]]) -> Profile:
    """A stored case as similarity reads it."""
    return Profile(
        category=str(document.get("category", "")),
        text=str(document.get("text", "")),
        place=place_of(
            point_id=document.get("liaison_point_id"),
            location=document.get("location"),
            points=points,
        ),
    )


def public_suggestion(
    document: Mapping[str, Any],
    *,
    score: float,
    points: Mapping[str, Mapping[str, Any]],
    zone: tzinfo,
) -> SimilarCase:
    """What a stranger may read of a stored case suggested as alike; the day it was submitted
    is the city's (`zone`), as the resident's pages show every time."""
    point = points.get(document.get("liaison_point_id") or "") or {}
    consented = is_public(channel=document.get("channel"), may_publish=document.get("may_publish"))
    return SimilarCase(
        case_id=document["_id"],
        category=document["category"],
        point_name=point.get("name"),
        status=document["status"],
        submitted_on=city_day(document["submitted_at"], zone),
        supporters=int(document.get("supporters") or 0),
        text=public_text(document["text"], resident_name=resident_name(document))
        if consented
        else None,
        score=round(score, 3),
    )
