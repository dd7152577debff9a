"""From the resident's HTML forms to intake's commands, and from refusals to field messages.

Pure: the rules stay in the domain models (`CaseCreate`, `RateCase`, …); this only maps form
fields onto them and their errors back onto form fields, as catalog keys the page translates.
Two rules are the form's own: consent when contact details are given, and the optional place,
which has no field of its own in a case and is appended to the text the station reads (and left
out of what the public reads, publication.without_place). Publishing is a separate, explicit
choice (`may_publish`), off unless ticked. The plain form's liaison point (where the problem
is, for a resident without the page's script to locate them) is chosen from the directory's
active points, grouped by station (`point_groups`); the QR form has none: its representative
gives the place.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ValidationError

from services.intake.domain.cases import CaseCreate
from services.intake.domain.errors import PhotoRefused, UnknownReference
from services.intake.domain.publication import with_place
from services.intake.domain.similar_cases import SimilarDraft
from services.intake.domain.supporters import SupportCase
from services.intake.web.catalog import CATALOG
from shared.events.resident_events import ResidentLanguage

MAX_PLACE_CHARS: Final = 200
_SUBMISSION_ID = re.compile(r"^page:[0-9a-f]{32}$")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Message:
    """A catalog key and its values: the page renders it in the reader's language."""

    key: str
    values: Mapping[str, object] = field(default_factory=dict)


Errors = dict[str, Message]
# Where a model's error goes on the form, and its message when the field's default won't do.
FieldFor = Callable[[tuple[Any, ...], str], tuple[str, "Message | None"]]


@dataclass(frozen=True)
class Photo:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class SubmissionForm:
    """What the form posted, kept as typed so that a refused form shows it again."""

    category: str = ""
    text: str = ""
    place: str = ""
    lat: str = ""
    lon: str = ""
    liaison_point_id: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    consent: bool = False
    may_publish: bool = False
    submission_id: str = ""

    def has_contact(self) -> bool:
        return any(v.strip() for v in (self.contact_name, self.contact_phone, self.contact_email))

    def idempotency_key(self) -> str | None:
        """The key the form carried, so a double tap stores one case; a forged one is ignored."""
        return self.submission_id if _SUBMISSION_ID.match(self.submission_id) else None

    def with_new_submission_id(self) -> SubmissionForm:
        """The form again, as a new submission (a fresh idempotency key)."""
        return replace(self, submission_id=f"page:{uuid.uuid4().hex}")


def parse_submission(
    form: SubmissionForm,
    photos: Sequence[Photo],
    *,
    representative_code: str | None,
    language: ResidentLanguage,
) -> CaseCreate | Errors:
    """`language` is the page's: the resident is written to in the language they read."""
    payload: dict[str, Any] = {
        "category": form.category,
        "text": form.text,
        "channel": "qr" if representative_code else "web",
        "may_publish": form.may_publish,
        "attachments": [
            {
                "filename": (p.filename or f"photo-{n}")[-100:],
                "content_type": p.content_type,
                "data": base64.b64encode(p.data).decode("ascii"),
            }
            for n, p in enumerate(photos, start=1)
        ],
    }
    _place_by_point(form, payload, representative_code=representative_code)
    if form.has_contact():
        payload["contact"] = {
            "name": form.contact_name.strip() or None,
            "phone": form.contact_phone.strip() or None,
            "email": form.contact_email.strip() or None,
            "language": language,
        }
    errors: Errors = {}
    location = _location(form, errors)
    if location is not None:
        payload["location"] = location
    place = form.place.strip()
    if len(place) > MAX_PLACE_CHARS:
        errors["place"] = Message("error.place")
    if form.has_contact() and not form.consent:
        errors["consent"] = Message("error.consent")

    command = _validate(CaseCreate, payload, errors, field_for=_submission_field)
    if command is not None and place:
        # Checked again with the place in, so the whole text still fits the limit.
        payload["text"] = with_place(command.text, place)
        command = _validate(CaseCreate, payload, errors, field_for=_submission_field)
    return errors if errors or command is None else command


def parse_similar_draft(
    form: SubmissionForm, *, representative_code: str | None
) -> SimilarDraft | Errors:
    """The form's draft, to look for open cases like it (the page without the script): only
    what places it is checked, with the same messages as a submission."""
    payload: dict[str, Any] = {"category": form.category, "text": form.text}
    _place_by_point(form, payload, representative_code=representative_code)
    errors: Errors = {}
    location = _location(form, errors)
    if location is not None:
        payload["location"] = location
    draft = _validate(SimilarDraft, payload, errors, field_for=_submission_field)
    return errors if errors or draft is None else draft


def parse_support(form: SubmissionForm, *, language: ResidentLanguage) -> SupportCase | Errors:
    """ "Me too" from the form: the contact typed in, if any, under the form's consent rule."""
    payload: dict[str, Any] = {}
    errors: Errors = {}
    if form.has_contact():
        payload["contact"] = {
            "name": form.contact_name.strip() or None,
            "phone": form.contact_phone.strip() or None,
            "email": form.contact_email.strip() or None,
            "language": language,
        }
        if not form.consent:
            errors["consent"] = Message("error.consent")
    command = _validate(SupportCase, payload, errors, field_for=_submission_field)
    return errors if errors or command is None else command


def parse_action(
    model: type[M], data: Mapping[str, object], *, fields: Mapping[str, str]
) -> M | Errors:
    """A resident action (rate, reopen, reply) from its form: `fields` maps model → form."""
    errors: Errors = {}
    command = _validate(
        model, dict(data), errors, field_for=lambda loc, _type: _renamed(loc, fields)
    )
    return errors if command is None else command


def unknown_reference_errors(exc: UnknownReference) -> Errors:
    """A reference the directory lacks: the category's or the point's own field, else (the
    QR code's representative) the form as a whole."""
    if exc.field in ("category", "liaison_point_id"):
        return {exc.field: Message(f"error.{exc.field}.unknown_reference")}
    return {"form": Message("error.form.representative")}


# Why a photo was refused once decoded (domain.photos' reasons), as the form says it.
_PHOTO_REFUSALS: Final[Mapping[str, str]] = {
    "type": "error.photos.one",
    "pixels": "error.photos.smaller",
    "too_large": "error.photos.smaller",
    "unreadable": "error.photos.unreadable",
}


def photo_refused_errors(exc: PhotoRefused) -> Errors:
    """A photo that passed the form's checks but could not be decoded or kept: the photo
    field, naming which photo (counted from 1, as the resident chose them)."""
    key = _PHOTO_REFUSALS.get(exc.reason, "error.photos.one")
    return {"photos": Message(key, {"n": exc.index + 1})}


@dataclass(frozen=True)
class PointGroup:
    """One station's liaison points, as an `<optgroup>` of the plain form's point choice."""

    station: str
    points: list[tuple[str, str]]  # (id, name)


def point_groups(
    points: Iterable[Mapping[str, Any]],
    stations: Iterable[Mapping[str, Any]],
    *,
    name: Callable[[Mapping[str, Any]], str],
) -> list[PointGroup]:
    """The active liaison points of active stations to choose from, grouped by station
    (`name`: an entry's name in the reader's language). Stations and points come in the order
    of their ids, the directory's pinyin slugs (`xijie`, `baiyun`): near enough the pinyin
    order of their names, which the characters' own code points are not."""
    by_id = {str(s["id"]): s for s in stations if "id" in s}
    grouped: dict[str, list[tuple[str, str]]] = {}
    for point in sorted(points, key=lambda p: str(p.get("id", ""))):
        if "id" not in point or not point.get("active", True):
            continue
        station = by_id.get(str(point.get("station", "")))
        if station is None or not station.get("active", True):
            continue
        grouped.setdefault(str(station["id"]), []).append(
            (str(point["id"]), name(point) or str(point["id"]))
        )
    return [
        PointGroup(station=name(by_id[key]) or key, points=grouped[key]) for key in sorted(grouped)
    ]


def _validate(
    model: type[M],
    payload: dict[str, Any],
    errors: Errors,
    *,
    field_for: FieldFor,
) -> M | None:
    try:
        command = model.model_validate(payload)
    except ValidationError as exc:
        for problem in exc.errors():
            name, message = field_for(tuple(problem["loc"]), problem["type"])
            if message is None:
                message = _message(name, problem)
            errors.setdefault(name, message)
        return None
    return None if errors else command


def _message(name: str, problem: Mapping[str, Any]) -> Message:
    blank = problem.get("input") in ("", None)
    for key in (
        f"error.{name}.{'missing' if blank else problem['type']}",
        f"error.{name}.{problem['type']}",
        f"error.{name}",
    ):
        if key in CATALOG:
            return Message(key)
    return Message("error.form")


def _submission_field(loc: tuple[Any, ...], error_type: str) -> tuple[str, Message | None]:
    head = loc[0] if loc else ""
    if head == "attachments":
        if len(loc) == 1:
            key = "error.photos.too_long" if error_type == "too_long" else "error.photos"
            return "photos", Message(key)
        return "photos", Message("error.photos.one", {"n": int(loc[1]) + 1})
    if head == "contact":
        if len(loc) == 1:
            return "contact_phone", Message("error.contact_phone.reachable")
        return f"contact_{loc[1]}", None
    if head in ("category", "text", "location", "liaison_point_id"):
        return str(head), None
    return "form", None


def _renamed(loc: tuple[Any, ...], fields: Mapping[str, str]) -> tuple[str, Message | None]:
    return fields.get(str(loc[0]) if loc else "", "form"), None


def _place_by_point(
    form: SubmissionForm, payload: dict[str, Any], *, representative_code: str | None
) -> None:
    """The QR form's representative, else the plain form's chosen point (none: not sure)."""
    if representative_code:
        payload["representative_code"] = representative_code
    elif form.liaison_point_id.strip():
        payload["liaison_point_id"] = form.liaison_point_id


def _location(form: SubmissionForm, errors: Errors) -> dict[str, float] | None:
    lat, lon = form.lat.strip(), form.lon.strip()
    if not lat and not lon:
        return None
    try:
        return {"lat": float(lat), "lon": float(lon)}
    except ValueError:
        errors["location"] = Message("error.location")
        return None
