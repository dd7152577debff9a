"""The JSON API's request and response bodies that are not domain commands, and how a stored
case becomes them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.intake.adapters.case_documents import snapshot_of
from services.intake.domain.attachments import StoredAttachment
from services.intake.domain.cases import TimelineStep
from services.intake.domain.merged import SURVIVING, as_follower
from services.intake.domain.resident_actions import ResidentAction, allowed_actions
from shared.events.case_events import CaseStatus, ErasureScope, Rating
from shared.mongo import Document
from shared.openapi import ErrorBody


class CaseReceipt(BaseModel):
    case_id: str
    tracking_code: str = Field(description="Keep it: it is the only way to follow the case.")
    status: CaseStatus
    submitted_at: datetime
    tracking_url: str


class StationRef(BaseModel):
    id: str
    name: str


class RepresentativeRef(BaseModel):
    code: str
    name: str | None = None


class Message(BaseModel):
    sender: Literal["station", "resident"] = Field(alias="from")
    text: str
    at: datetime

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class SurvivingCase(BaseModel):
    """The case a merged case was merged into, as its resident follows it: no text, no
    contact, nothing of the other resident's."""

    case_id: str = Field(validation_alias="_id")
    status: CaseStatus
    station: StationRef | None = None
    timeline: list[TimelineStep] = Field(default_factory=list)
    response: str | None = None
    responded_at: datetime | None = None
    supporters: int = 0


class ResidentCaseView(BaseModel):
    """What the holder of a tracking code sees. No contact data, no internal notes."""

    model_config = ConfigDict(from_attributes=True)

    tracking_code: str
    status: CaseStatus
    category: str
    text: str
    channel: str
    submitted_at: datetime
    updated_at: datetime
    station: StationRef | None
    representative: RepresentativeRef | None
    attachments: list[StoredAttachment] = Field(
        default_factory=list, description="Photos: GET .../attachments/{n}."
    )
    messages: list[Message] = Field(
        default_factory=list, description="The conversation with the station, oldest first."
    )

    @field_validator("messages", mode="before")
    @classmethod
    def _in_order(cls, value: object) -> object:
        # Stored keyed by message id (one write each, no array updates); shown by time.
        if isinstance(value, dict):
            return sorted(value.values(), key=lambda m: m["at"])
        return value

    house_repair_stage: str | None = Field(
        default=None, description="Dilapidated-house repair cases: the current stage."
    )
    timeline: list[TimelineStep]
    response: str | None = Field(default=None, description="The feedback on the case.")
    responded_at: datetime | None = None
    rejection_reason: str | None = None
    rating: Rating | None = Field(default=None, description="The resident's latest rating.")
    reopen_count: int = 0
    merged_into: SurvivingCase | None = Field(
        default=None,
        description="For a merged case: the case it was merged into, whose progress and answer "
        "its resident follows and rates here.",
    )
    supporters: int = Field(default=0, description='Residents who said "me too".')
    allowed_actions: list[ResidentAction] = Field(
        default_factory=list, description="What the resident may do now: rate, reopen."
    )


class ActionRefusedBody(ErrorBody):
    """409 on a resident action: the shared error body, with what the resident may do now."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "detail": "cannot reopen a case that is closed",
                    "status": "closed",
                    "allowed_actions": ["rate"],
                }
            ]
        }
    )

    status: CaseStatus = Field(description="The case's status now.")
    allowed_actions: list[ResidentAction] = Field(description="What the resident may do now.")


def resident_view(document: Document, *, now: datetime) -> ResidentCaseView:
    """The resident's view of a stored case (a merged one read `with_surviving`)."""
    surviving = document.get(SURVIVING)
    view = ResidentCaseView.model_validate(document)
    snapshot = as_follower(
        snapshot_of(document), rated_at=document.get("rated_at"), surviving=surviving
    )
    return view.model_copy(
        update={
            "allowed_actions": allowed_actions(snapshot, now=now),
            "merged_into": SurvivingCase.model_validate(surviving) if surviving else None,
        }
    )


def receipt_for(stored: Document) -> CaseReceipt:
    return CaseReceipt(
        case_id=stored["_id"],
        tracking_code=stored["tracking_code"],
        status=stored["status"],
        submitted_at=stored["submitted_at"],
        tracking_url=f"/v1/cases/{stored['tracking_code']}",
    )


class ErasedCase(BaseModel):
    case_id: str
    status: CaseStatus | None = Field(
        description="The case's status (kept: it still counts); None for a case erased for "
        "this subject before, found in the erasure log."
    )
    erased_now: bool = Field(description="False: erased before, or a dry run.")
    scope: ErasureScope | None = Field(
        description="What is erased of it now: `all`, `contact` (retention, or a supporter's "
        "record), or None."
    )
    supporter_id: str | None = Field(
        default=None,
        description='Set: the subject said "me too" on this case; only the contact they left '
        "is erased (status None), the case and its count of supporters stay.",
    )


class ErasureAnswer(BaseModel):
    dry_run: bool
    subject: str = Field(
        description="The keyed hash the erasure log keeps instead of the tracking code, phone "
        "or email."
    )
    erased: int = Field(
        description='Cases, and "me too" supporters\' records, erased by this request.'
    )
    cases: list[ErasedCase]


class ErasureLogEntry(BaseModel):
    scope: ErasureScope
    at: datetime
    by: str = Field(description="`admin:<username>`, `cli:<name>` or `retention`.")
    subject: str | None = Field(description="Keyed hash of the subject; None for retention.")
    contact: bool = Field(description="The case had a contact (a tombstone is due for it).")
    supporter_id: str | None = Field(
        default=None, description='Set: the erasure of this "me too" supporter\'s contact.'
    )
    finished_at: datetime | None = Field(
        default=None,
        description="When photos, log and tombstone were done; None: still being finished.",
    )
    tombstone_at: datetime | None = None


class ErasureLog(BaseModel):
    case_id: str
    entries: list[ErasureLogEntry]
