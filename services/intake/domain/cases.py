"""The resident's case as intake knows it: what was submitted and the public steps since."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    field_validator,
    model_validator,
)

from services.intake.domain.attachments import MAX_ATTACHMENTS, AttachmentIn
from services.intake.domain.tracking import new_tracking_code
from shared.events.case_events import (
    CaseAssigned,
    CaseStatus,
    CaseSubmitted,
    Channel,
    GeoPoint,
    Rating,
)
from shared.events.resident_events import ResidentLanguage

Code = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_\-]{1,64}$")]
# The channels of the shared vocabulary (`Channel`) a resident submits through themself, and
# those station staff enter a case through for them.
ResidentChannel = Literal["qr", "web", "api", "open311"]
StaffChannel = Literal["in_person", "meeting"]
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,19}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
# What a contact's phone and email look like (also how an erasure request names them).
PHONE_PATTERN = _PHONE
EMAIL_PATTERN = _EMAIL


class Contact(BaseModel):
    """Personal data: kept in intake only, never published."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=64)
    phone: str | None = Field(default=None, max_length=20, examples=["+86 138 0000 0000"])
    email: str | None = Field(default=None, max_length=254)
    language: ResidentLanguage = Field(
        default="zh", description="The language notify writes to the resident in."
    )

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is not None and not _PHONE.match(value):
            raise ValueError("phone must be digits, optionally with +, spaces or dashes")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError("email is not a valid address")
        return value

    @model_validator(mode="after")
    def _reachable(self) -> Contact:
        if self.phone is None and self.email is None:
            raise ValueError("contact needs a phone or an email (or leave contact out)")
        return self


class CaseCreate(BaseModel):
    """What a resident (or a client on their behalf) submits."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    category: Code = Field(description="Category code from the directory, e.g. `parking`.")
    text: str = Field(min_length=5, max_length=5000, description="The opinion or suggestion.")
    channel: ResidentChannel = "web"
    representative_code: Code | None = Field(
        default=None, description="Set by the representative's QR code."
    )
    liaison_point_id: Code | None = None
    location: GeoPoint | None = None
    contact: Contact | None = None
    attachments: list[AttachmentIn] = Field(
        default_factory=list,
        max_length=MAX_ATTACHMENTS,
        description=f"Up to {MAX_ATTACHMENTS} photos (JPEG, PNG or WebP), base64.",
    )
    # Strict: consent is a JSON `true`, never a string or a number that happens to parse.
    may_publish: StrictBool = Field(
        default=False,
        description="The resident's consent that the case may be shown publicly (Open311 "
        "without a partner key): the text with phone, ID, email and plate numbers removed and "
        "the location rounded to about 100 m. Off unless given.",
    )

    @model_validator(mode="after")
    def _qr_names_a_representative(self) -> CaseCreate:
        if self.channel == "qr" and self.representative_code is None:
            raise ValueError("a qr submission must carry the representative_code of the QR code")
        return self


class TimelineStep(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: CaseStatus
    at: datetime
    note: str | None = None


class CaseSnapshot(BaseModel):
    """What the pure rules need of a stored case: its status and the resident's feedback so far.

    `version` is the optimistic-concurrency guard of the stored document.
    """

    model_config = ConfigDict(frozen=True)

    case_id: str
    version: int
    status: CaseStatus
    station_id: str | None = None
    responded_at: datetime | None = None
    rating: Rating | None = None
    rated_since_response: bool = False
    reopen_count: int = 0
    awaiting_reply: bool = False


class NewCase(BaseModel):
    """A validated submission, ready to store with its `case.submitted` event."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    tracking_code: str
    submitted: CaseSubmitted
    contact: Contact | None
    # Kept with the case in intake only: case-events carry no consent (nor personal data).
    may_publish: bool = False


class StaffCaseCreate(CaseCreate):
    """A case entered by station staff for a resident who came in person or spoke at a
    deliberation meeting (议事会)."""

    channel: StaffChannel = "in_person"  # type: ignore[assignment]
    meeting_id: Code | None = Field(
        default=None, description="The meeting it was raised at (channel `meeting`)."
    )


def open_case(
    command: CaseCreate,
    *,
    now: datetime,
    station_id: str | None = None,
    meeting_id: str | None = None,
) -> NewCase:
    case_id = str(uuid.uuid4())
    channel: Channel = command.channel  # type-checked: intake's channels are shared ones
    return NewCase(
        case_id=case_id,
        tracking_code=new_tracking_code(),
        contact=command.contact,
        may_publish=command.may_publish,
        submitted=CaseSubmitted(
            case_id=case_id,
            category=command.category,
            text=command.text,
            channel=channel,
            representative_code=command.representative_code,
            liaison_point_id=command.liaison_point_id,
            location=command.location,
            has_contact=command.contact is not None,
            attachment_count=len(command.attachments),
            station_id=station_id,
            meeting_id=meeting_id,
            submitted_at=now,
        ),
    )


def assignment_note(event: CaseAssigned) -> str:
    """What the resident reads on the timeline when the case reaches its holder."""
    if event.representative_name:
        return f"{event.station_name} · {event.representative_name}"
    return f"{event.station_name}"
