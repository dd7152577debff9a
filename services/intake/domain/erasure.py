"""Erasing a resident's personal data (PIPL): who the request is about, which cases it reaches,
and what of each case is left. Pure: data in, data out.

What stays of an erased case is what the counts need: its id, status, category, channel,
station, holder and dates. What goes is everything the resident gave or that quotes them: the
contact, the text, the messages both ways, the notes and answers on the timeline, the photos and
the exact location. The text fields keep a fixed marker, so every page still renders.

A resident who said "me too" on someone else's case left only a contact (intake keeps it in a
supporter record of its own, found by the same keys): erasing them erases that record's contact
and nothing of the case.

A request names its subject by tracking code, phone or email. The erasure log records a keyed
hash of it (HMAC-SHA256 with intake's erasure key), never the value: an auditor who is given
the phone again can recompute the hash and find the record, nobody can read it back.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from services.intake.domain.cases import EMAIL_PATTERN, PHONE_PATTERN
from services.intake.domain.timeline import RETENTION_SINCE
from services.intake.domain.tracking import normalize_tracking_code
from shared.events.case_events import ErasureScope

ERASED = "[erased]"
"""What every erased free-text field reads."""

SubjectKind = Literal["tracking_code", "phone", "email"]

_NOT_DIGITS = re.compile(r"\D")
# A Chinese mobile number written with its country code: +86 138…, 0086 138…, 86138….
_CHINA_MOBILE = re.compile(r"^86(1\d{10})$")


def normalize_phone(raw: str) -> str:
    """The digits that identify a phone however it was written: `+86 138 0000 1234`,
    `0086-138-0000-1234` and `13800001234` are one number."""
    digits = _NOT_DIGITS.sub("", raw)
    if digits.startswith("00"):
        digits = digits[2:]  # the international call prefix
    match = _CHINA_MOBILE.match(digits)
    return match.group(1) if match else digits


def normalize_email(raw: str) -> str:
    return raw.strip().lower()


# Where a stored case keeps each key (sparse indexes: only cases with a contact have them).
CONTACT_KEY_FIELDS = {"phone": "contact_phone_key", "email": "contact_email_key"}


def contact_keys(*, phone: str | None, email: str | None) -> list[str]:
    """What a case is found by when its resident asks for erasure by contact (one sparse index
    holds them: only cases with a contact have any)."""
    keys = []
    if phone:
        keys.append("phone:" + normalize_phone(phone))
    if email:
        keys.append("email:" + normalize_email(email))
    return keys


def contact_fields(contact: dict[str, Any] | None) -> dict[str, str]:
    """The fields a case with this contact is found by, stored with it."""
    if not contact:
        return {}
    keys = contact_keys(phone=contact.get("phone"), email=contact.get("email"))
    return {CONTACT_KEY_FIELDS[key.partition(":")[0]]: key for key in keys}


class EraseResident(BaseModel):
    """An erasure request: exactly one of a tracking code (that case), a phone or an email
    (every case whose resident left it)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    tracking_code: str | None = Field(
        default=None, min_length=1, max_length=64, examples=["MY-0123456789ABCDEFGHJKMNPQRS"]
    )
    phone: str | None = Field(default=None, max_length=20, examples=["+86 138 0000 0000"])
    email: str | None = Field(default=None, max_length=254)
    dry_run: StrictBool = Field(
        default=False, description="List the cases it would erase; change nothing."
    )

    @field_validator("tracking_code")
    @classmethod
    def _tracking_code(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = normalize_tracking_code(value)
        if code is None:
            raise ValueError("not a tracking code (MY- and 26 letters and digits)")
        return code

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is not None and not PHONE_PATTERN.match(value):
            raise ValueError("phone must be digits, optionally with +, spaces or dashes")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL_PATTERN.match(value):
            raise ValueError("email is not a valid address")
        return value

    @model_validator(mode="after")
    def _one_subject(self) -> EraseResident:
        given = [name for name in ("tracking_code", "phone", "email") if getattr(self, name)]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of tracking_code, phone or email"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self

    @property
    def kind(self) -> SubjectKind:
        if self.tracking_code:
            return "tracking_code"
        return "phone" if self.phone else "email"

    @property
    def normalized(self) -> str:
        """The subject in the form it is hashed and looked up in."""
        if self.tracking_code:
            return self.tracking_code
        if self.phone:
            return normalize_phone(self.phone)
        return normalize_email(self.email or "")

    @property
    def contact_key(self) -> str | None:
        """The key its cases carry (`contact_keys`); None for a tracking code."""
        if self.tracking_code:
            return None
        return f"{self.kind}:{self.normalized}"


def subject_hash(kind: SubjectKind, normalized: str, *, key: bytes) -> str:
    """The keyed hash the log keeps instead of the subject."""
    digest = hmac.new(key, f"{kind}:{normalized}".encode(), hashlib.sha256).hexdigest()
    return f"hmac-sha256:{digest}"


def covers(done: ErasureScope | None, wanted: ErasureScope) -> bool:
    """Whether an erasure already done makes the wanted one a no-op: `all` covers `contact`."""
    return done == "all" or done == wanted


def widest(done: ErasureScope | None, wanted: ErasureScope) -> ErasureScope:
    return "all" if "all" in (done, wanted) else "contact"


class CaseErasure(BaseModel):
    """The one write that erases a case: the fields to set and to remove, and the marker it
    keeps (`erasure` on the case: what was erased, when, by whom, of which subject)."""

    model_config = ConfigDict(frozen=True)

    set: dict[str, Any]
    unset: list[str]
    scope: ErasureScope
    had_contact: bool


def erase_case(
    document: dict[str, Any],
    *,
    scope: ErasureScope,
    at: datetime,
    by: str,
    subject: str | None,
) -> CaseErasure:
    """What erasing `scope` of the stored case `document` writes.

    Any scope drops the contact and the keys it is found by; `contact` (the retention job) the
    retention mark too (nothing is left to expire). `all` also replaces the text, the messages'
    texts and every timeline note by the marker, forgets the location and the photos (their
    bytes are deleted separately), and withdraws the case from the public list."""
    before: dict[str, Any] = document.get("erasure") or {}
    had_contact = document.get("contact") is not None or bool(before.get("contact"))
    widened = widest(before.get("scope"), scope)
    fields: dict[str, Any] = {
        "contact": None,
        "erasure": {
            "scope": widened,
            "at": at,
            "by": by,
            "subject": subject,
            "contact": had_contact,
        },
    }
    unset = list(CONTACT_KEY_FIELDS.values())
    if scope == "contact":
        # The retention job: it expired the case's supporters' contacts first. A whole erasure
        # keeps the mark of an ended case, so the job still expires its supporters' (their
        # own data, not the erased resident's) and then takes it off its index.
        unset.append(RETENTION_SINCE)
    if widened == "all":
        fields.update(
            text=ERASED,
            location=None,
            attachments=[],
            may_publish=False,
            # A retried submission with the same key must not match the erased content.
            fingerprint=ERASED,
            messages={
                key: {**message, "text": ERASED}
                for key, message in (document.get("messages") or {}).items()
            },
            timeline=[
                {**step, "note": ERASED if step.get("note") is not None else None}
                for step in document.get("timeline") or []
            ],
        )
        for field in ("response", "rejection_reason"):
            if document.get(field) is not None:
                fields[field] = ERASED
        unset.append("published_at")
    return CaseErasure(set=fields, unset=unset, scope=widened, had_contact=had_contact)


def erase_supporter_contact(*, at: datetime, by: str, subject: str | None) -> CaseErasure:
    """What erasing a "me too" supporter's record writes: their contact and the keys it is
    found by go, the marker stays. Only the contact: the case, and its count of supporters,
    are the case's resident's and everyone's."""
    marker = {"scope": "contact", "at": at, "by": by, "subject": subject, "contact": True}
    return CaseErasure(
        set={"contact": None, "erasure": marker},
        unset=list(CONTACT_KEY_FIELDS.values()),
        scope="contact",
        had_contact=True,
    )


def retention_cutoff(now: datetime, *, days: int) -> datetime:
    """Cases closed at or before this have kept their contact long enough."""
    return now - timedelta(days=days)
