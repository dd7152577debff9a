"""The shape of intake's case documents: one layout for live and imported cases, the key of an
applied event, the fingerprint of a submission, and the snapshot the pure rules read."""

from __future__ import annotations

import hashlib

from services.intake.domain.cases import CaseCreate, CaseSnapshot, TimelineStep
from services.intake.domain.publication import published_at
from shared.events.case_events import CaseSubmitted
from shared.mongo import Document


class IdempotencyConflict(Exception):
    """The key was used before for a different submission."""


def request_fingerprint(command: CaseCreate) -> str:
    """Same content, same fingerprint, whatever the JSON's spacing or key order."""
    return hashlib.sha256(command.model_dump_json().encode()).hexdigest()


# What Open311 reads of a case: no contact data, no tracking code, no idempotency or outbox
# bookkeeping. A reader without a partner key gets even less (domain/publication.py).
PUBLIC_FIELDS: tuple[str, ...] = (
    "status",
    "category",
    "text",
    "channel",
    "may_publish",
    "representative_code",
    "liaison_point_id",
    "location",
    "submitted_at",
    "updated_at",
    "station",
    "representative",
    "response",
    "responded_at",
    "rejection_reason",
    "merged_into_case_id",
    "transferred_to",
    "timeline",
)


def applied_entry(event_id: str) -> str:
    """The key under a case's `applied` that marks the event applied to it."""
    return "e" + event_id.replace("-", "")


def applied_key(event_id: str) -> str:
    return "applied." + applied_entry(event_id)


def case_document(
    submitted: CaseSubmitted,
    *,
    tracking_code: str,
    idempotency_key: str,
    fingerprint: str,
    may_publish: bool = False,
) -> Document:
    """A case as stored when it is submitted: what the resident wrote, no holder yet, no
    contact, no photos. The same fields for a live case and an imported one.

    `published_at` exists only on a case the public may read (publication.is_public): the
    sparse index on it is the public list, whatever the number of private cases."""
    public_since = published_at(
        channel=submitted.channel, may_publish=may_publish, submitted_at=submitted.submitted_at
    )
    return {
        **({"published_at": public_since} if public_since is not None else {}),
        "_id": submitted.case_id,
        "tracking_code": tracking_code,
        "idempotency_key": idempotency_key,
        "fingerprint": fingerprint,
        "status": "submitted",
        "category": submitted.category,
        "text": submitted.text,
        "channel": submitted.channel,
        "may_publish": may_publish,
        "representative_code": submitted.representative_code,
        "liaison_point_id": submitted.liaison_point_id,
        "location": submitted.location.model_dump() if submitted.location else None,
        "contact": None,
        "submitted_at": submitted.submitted_at,
        "updated_at": submitted.submitted_at,
        "station": None,
        "station_id": None,
        "representative": None,
        "response": None,
        "responded_at": None,
        "rejection_reason": None,
        "rating": None,
        "rated_since_response": False,
        "reopen_count": 0,
        "attachments": [],
        "timeline": [TimelineStep(status="submitted", at=submitted.submitted_at).model_dump()],
        "applied": {},
        "version": 1,
    }


SNAPSHOT_FIELDS = (
    "version",
    "status",
    "station",
    "station_id",
    "responded_at",
    "rating",
    "rated_since_response",
    "reopen_count",
)


def snapshot_of(document: Document) -> CaseSnapshot:
    """The stored case as the pure rules see it."""
    station = document.get("station") or {}
    return CaseSnapshot(
        case_id=document["_id"],
        version=document["version"],
        status=document["status"],
        station_id=document.get("station_id") or station.get("id"),
        responded_at=document.get("responded_at"),
        rating=document.get("rating"),
        rated_since_response=document.get("rated_since_response", False),
        reopen_count=document.get("reopen_count", 0),
        awaiting_reply=document.get("awaiting_reply", False),
    )
