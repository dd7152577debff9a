"""Intake's cases in its own database. Resident contact data lives here and nowhere else."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from bson import Binary
from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.intake.domain.attachments import AttachmentIn, describe
from services.intake.domain.cases import CaseCreate, CaseSnapshot, NewCase, TimelineStep
from services.intake.domain.timeline import TimelineChange
from shared.events.case_events import CaseSubmitted
from shared.events.envelope import Envelope
from shared.mongo import Document
from shared.outbox import ensure_outbox_index, queue_events, with_outbox_topics
from shared.topics import CASE_EVENTS, RESIDENT_CONTACTS


class IdempotencyConflict(Exception):
    """The key was used before for a different submission."""


def request_fingerprint(command: CaseCreate) -> str:
    """Same content, same fingerprint, whatever the JSON's spacing or key order."""
    return hashlib.sha256(command.model_dump_json().encode()).hexdigest()


# What a public reader (Open311) may see of a case: no contact data, no tracking code,
# no idempotency or outbox bookkeeping.
PUBLIC_FIELDS: tuple[str, ...] = (
    "status",
    "category",
    "text",
    "channel",
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


def _applied_key(event_id: str) -> str:
    return "applied." + applied_entry(event_id)


def case_document(
    submitted: CaseSubmitted, *, tracking_code: str, idempotency_key: str, fingerprint: str
) -> Document:
    """A case as stored when it is submitted: what the resident wrote, no holder yet, no
    contact, no photos. The same fields for a live case and an imported one."""
    return {
        "_id": submitted.case_id,
        "tracking_code": tracking_code,
        "idempotency_key": idempotency_key,
        "fingerprint": fingerprint,
        "status": "submitted",
        "category": submitted.category,
        "text": submitted.text,
        "channel": submitted.channel,
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


_SNAPSHOT_FIELDS = (
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


class CaseRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = db["cases"]
        self.attachments: AsyncCollection[Document] = db["attachments"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index("tracking_code", unique=True)
        await self.attachments.create_index("case_id")
        # Every case has a key (its own id when the client sent none), so a plain unique
        # index works on stores without sparse or partial indexes.
        await self.collection.create_index("idempotency_key", unique=True)
        await ensure_outbox_index(self.collection)
        # Open311's search: a window of submission times, newest first.
        await self.collection.create_index([("submitted_at", -1)])

    async def add(
        self,
        case: NewCase,
        submitted: Envelope,
        *,
        contact: Envelope | None = None,
        idempotency_key: str | None,
        fingerprint: str,
        attachments: Sequence[AttachmentIn] = (),
    ) -> Document:
        """Store the case and its `case.submitted` event in one write.

        The resident's contact, if given, goes to notify on its private topic ahead of the
        case's first event, so notify usually knows it before anything happens to the case.
        Photos are stored first, so a stored case never points at a missing one. A retried
        submission with the same Idempotency-Key returns the first case instead.
        """
        data = case.submitted
        described = describe(list(attachments))
        if attachments:
            await self.attachments.insert_many(
                [
                    {
                        "_id": f"{case.case_id}:{d.n}",
                        "case_id": case.case_id,
                        **d.model_dump(),
                        "data": Binary(a.raw()),
                    }
                    for d, a in zip(described, attachments, strict=True)
                ]
            )
        document: Document = {
            **case_document(
                data,
                tracking_code=case.tracking_code,
                idempotency_key=f"key:{idempotency_key}"
                if idempotency_key
                else f"id:{case.case_id}",
                fingerprint=fingerprint,
            ),
            "contact": case.contact.model_dump(exclude_none=True) if case.contact else None,
            "attachments": [d.model_dump() for d in described],
        }
        try:
            await self.collection.insert_one(
                with_outbox_topics(
                    document,
                    [(RESIDENT_CONTACTS, [contact] if contact else []), (CASE_EVENTS, [submitted])],
                )
            )
        except DuplicateKeyError:
            # This attempt's photos belong to no case: the first attempt kept its own.
            await self.attachments.delete_many({"case_id": case.case_id})
            if idempotency_key is None:
                raise
            existing = await self.collection.find_one({"idempotency_key": f"key:{idempotency_key}"})
            if existing is None:
                raise
            if existing["fingerprint"] != fingerprint:
                raise IdempotencyConflict(idempotency_key) from None
            return existing
        return document

    async def attachment(self, case_id: str, n: int) -> Document | None:
        return await self.attachments.find_one({"_id": f"{case_id}:{n}"})

    async def by_tracking_code(self, tracking_code: str) -> Document | None:
        return await self.collection.find_one({"tracking_code": tracking_code}, {"contact": 0})

    async def pending_snapshot(self, *, case_id: str, event_id: str) -> CaseSnapshot | None:
        """The case as it is now, or None when it is unknown or already has this event."""
        document = await self.collection.find_one(
            {"_id": case_id, _applied_key(event_id): {"$exists": False}},
            dict.fromkeys(_SNAPSHOT_FIELDS, 1),
        )
        return snapshot_of(document) if document else None

    async def apply_change(
        self,
        *,
        case: CaseSnapshot,
        event_id: str,
        change: TimelineChange,
        events: Sequence[Envelope] = (),
    ) -> bool:
        """Apply one event's change once, in one write with the events it causes (if any).

        Matches nothing when the event was applied already (a redelivery) or when the case
        changed since `case` was read (its version moved on): the caller reads it again.
        """
        fields: Document = {**change.fields, _applied_key(event_id): True}
        update: Document = {"$set": fields, "$inc": {"version": 1}}
        if change.status is not None:
            fields["status"] = change.status
        if change.step is not None:
            fields["updated_at"] = change.step.at
            update["$push"] = {"timeline": change.step.model_dump()}
        if events:
            update = queue_events(update, events, topic=CASE_EVENTS)
        result = await self.collection.update_one(
            {
                "_id": case.case_id,
                "version": case.version,
                _applied_key(event_id): {"$exists": False},
            },
            update,
        )
        return result.modified_count == 1

    async def pending_snapshots(
        self, case_ids: Sequence[str]
    ) -> dict[str, tuple[CaseSnapshot, frozenset[str]]]:
        """Each known case as it is now, with the ids of the events already applied to it."""
        documents = await self.collection.find(
            {"_id": {"$in": sorted(set(case_ids))}},
            {**dict.fromkeys(_SNAPSHOT_FIELDS, 1), "awaiting_reply": 1, "applied": 1},
        ).to_list()
        return {d["_id"]: (snapshot_of(d), frozenset(d.get("applied") or {})) for d in documents}

    async def apply_changes(
        self, batch: Sequence[tuple[CaseSnapshot, Sequence[tuple[str, TimelineChange]]]]
    ) -> bool:
        """Each case's changes, in order, as one write guarded by the version read; one
        `bulk_write` for the whole batch. False when some case changed since it was read (a
        resident action won the race): the caller applies that batch event by event."""
        ops: list[UpdateOne] = []
        for case, changes in batch:
            fields: Document = {}
            steps: list[Document] = []
            for event_id, change in changes:
                fields.update(change.fields)
                fields[_applied_key(event_id)] = True
                if change.status is not None:
                    fields["status"] = change.status
                if change.step is not None:
                    fields["updated_at"] = change.step.at
                    steps.append(change.step.model_dump())
            update: Document = {"$set": fields, "$inc": {"version": 1}}
            if steps:
                update["$push"] = {"timeline": {"$each": steps}}
            ops.append(UpdateOne({"_id": case.case_id, "version": case.version}, update))
        if not ops:
            return True
        result = await self.collection.bulk_write(ops, ordered=False)
        return result.modified_count == len(ops)

    async def by_id(self, case_id: str) -> Document | None:
        """The public fields of one case, or None."""
        return await self.collection.find_one({"_id": case_id}, dict.fromkeys(PUBLIC_FIELDS, 1))

    async def search(
        self,
        *,
        ids: Sequence[str] | None = None,
        submitted_from: datetime | None = None,
        submitted_until: datetime | None = None,
        statuses: Sequence[str] | None = None,
        categories: Sequence[str] | None = None,
        skip: int = 0,
        limit: int = 50,
    ) -> list[Document]:
        """The public fields of matching cases, newest first. None means no filter."""
        query: Document = {}
        if ids is not None:
            query["_id"] = {"$in": list(ids)}
        submitted: Document = {}
        if submitted_from is not None:
            submitted["$gte"] = submitted_from
        if submitted_until is not None:
            submitted["$lte"] = submitted_until
        if submitted:
            query["submitted_at"] = submitted
        if statuses is not None:
            query["status"] = {"$in": list(statuses)}
        if categories is not None:
            query["category"] = {"$in": list(categories)}
        cursor = (
            self.collection.find(query, dict.fromkeys(PUBLIC_FIELDS, 1))
            .sort([("submitted_at", -1), ("_id", 1)])
            .skip(skip)
            .limit(limit)
        )
        return await cursor.to_list()
