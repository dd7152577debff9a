"""Intake's cases in its own database. Resident contact data lives here and nowhere else."""

from __future__ import annotations

import hashlib
from datetime import datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.intake.domain.cases import CaseCreate, NewCase, TimelineStep
from shared.events.envelope import Envelope
from shared.mongo import Document
from shared.outbox import ensure_outbox_index, with_outbox
from shared.topics import CASE_EVENTS


class IdempotencyConflict(Exception):
    """The key was used before for a different submission."""


def request_fingerprint(command: CaseCreate) -> str:
    """Same content, same fingerprint, whatever the JSON's spacing or key order."""
    return hashlib.sha256(command.model_dump_json().encode()).hexdigest()


def _applied_key(event_id: str) -> str:
    return "applied.e" + event_id.replace("-", "")


class CaseRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = db["cases"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index("tracking_code", unique=True)
        # Every case has a key (its own id when the client sent none), so a plain unique
        # index works on stores without sparse or partial indexes.
        await self.collection.create_index("idempotency_key", unique=True)
        await ensure_outbox_index(self.collection)

    async def add(
        self,
        case: NewCase,
        submitted: Envelope,
        *,
        idempotency_key: str | None,
        fingerprint: str,
    ) -> Document:
        """Store the case and its `case.submitted` event in one write.

        A retried submission with the same Idempotency-Key returns the first case instead.
        """
        data = case.submitted
        document: Document = {
            "_id": case.case_id,
            "tracking_code": case.tracking_code,
            "idempotency_key": f"key:{idempotency_key}"
            if idempotency_key
            else f"id:{case.case_id}",
            "fingerprint": fingerprint,
            "status": "submitted",
            "category": data.category,
            "text": data.text,
            "channel": data.channel,
            "representative_code": data.representative_code,
            "liaison_point_id": data.liaison_point_id,
            "location": data.location.model_dump() if data.location else None,
            "contact": case.contact.model_dump(exclude_none=True) if case.contact else None,
            "submitted_at": data.submitted_at,
            "updated_at": data.submitted_at,
            "station": None,
            "representative": None,
            "timeline": [TimelineStep(status="submitted", at=data.submitted_at).model_dump()],
            "applied": {},
            "version": 1,
        }
        try:
            await self.collection.insert_one(with_outbox(document, [submitted], topic=CASE_EVENTS))
        except DuplicateKeyError:
            if idempotency_key is None:
                raise
            existing = await self.collection.find_one({"idempotency_key": f"key:{idempotency_key}"})
            if existing is None:
                raise
            if existing["fingerprint"] != fingerprint:
                raise IdempotencyConflict(idempotency_key) from None
            return existing
        return document

    async def by_tracking_code(self, tracking_code: str) -> Document | None:
        return await self.collection.find_one({"tracking_code": tracking_code}, {"contact": 0})

    async def record_step(
        self,
        *,
        case_id: str,
        event_id: str,
        step: TimelineStep,
        fields: Document,
        at: datetime,
    ) -> bool:
        """Apply one event's public step once; a redelivered event matches nothing."""
        result = await self.collection.update_one(
            {"_id": case_id, _applied_key(event_id): {"$exists": False}},
            {
                "$set": {
                    **fields,
                    "status": step.status,
                    "updated_at": at,
                    _applied_key(event_id): True,
                },
                "$push": {"timeline": step.model_dump()},
                "$inc": {"version": 1},
            },
        )
        return result.modified_count == 1
