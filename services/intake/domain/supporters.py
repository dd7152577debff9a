""" "Me too": a resident joins an open case instead of opening another. Pure.

The supporter is counted on the case and, when they leave a phone or an email, hears the
case's answer (notify keeps the contact under the supporter's own id, never in clear on
case-events). intake keeps that contact too, in a supporter record found by the same keys as a
case's contact, so that an erasure by the supporter's phone or email, and the retention of
contacts after the case ends, reach it (domain.erasure). A retried request with the same
Idempotency-Key counts once: the supporter's id is derived from the key.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.intake.domain.cases import Contact
from services.intake.domain.erasure import contact_fields
from services.intake.domain.similar_cases import OPEN_STATUSES


class SupportCase(BaseModel):
    """The body of `POST /v1/cases/{case_id}/supporters`."""

    model_config = ConfigDict(extra="forbid")

    contact: Contact | None = Field(
        default=None, description="To hear the case's answer by SMS or email; optional."
    )


class Supported(BaseModel):
    case_id: str
    supporters: int = Field(description='Residents who said "me too", this one included.')


class CaseClosedToSupport(Exception):
    """The case is closed, rejected or merged: nobody can join it any more (409)."""

    def __init__(self, status: str) -> None:
        super().__init__(f"a case that is {status} cannot be joined")
        self.status = status


def supporter_id(idempotency_key: str | None) -> str:
    """Opaque and stable for one client request: a hash of its key, else a fresh id."""
    if idempotency_key is None:
        return "s" + uuid.uuid4().hex
    return "s" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


def contact_key(case_id: str, supporter: str) -> str:
    """The supporter's record's key on the compacted `resident-contacts` topic: their own, so
    that compaction, which keeps one record per key, never drops the case's resident's contact
    (keyed by the case id) for the supporter's, or one supporter's for another's."""
    return f"{case_id}/{supporter}"


def may_be_supported(status: str) -> bool:
    return status in OPEN_STATUSES


def supporter_record(
    *, case_id: str, supporter: str, contact: dict[str, Any], at: datetime
) -> dict[str, Any]:
    """What intake stores of a supporter who left a contact: keyed as on the topic, with the
    keys an erasure request finds it by (a supporter without a contact has no record)."""
    return {
        "_id": contact_key(case_id, supporter),
        "case_id": case_id,
        "supporter_id": supporter,
        "contact": contact,
        **contact_fields(contact),
        "supported_at": at,
    }
