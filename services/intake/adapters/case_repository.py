"""Intake's cases in its own database. Resident contact data lives here and nowhere else."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime

from bson import Binary
from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.intake.adapters.case_documents import (
    PUBLIC_FIELDS,
    SNAPSHOT_FIELDS,
    IdempotencyConflict,
    applied_key,
    case_document,
    snapshot_of,
)
from services.intake.domain.cases import CaseSnapshot, NewCase
from services.intake.domain.erasure import contact_fields
from services.intake.domain.merged import SURVIVING
from services.intake.domain.photos import THUMBNAIL_TYPE, CleanAttachment
from services.intake.domain.supporters import may_be_supported
from services.intake.domain.timeline import TimelineChange
from shared.events.envelope import Envelope
from shared.mongo import Document, find_in
from shared.outbox import OUTBOX_COUNT, ensure_outbox_index, queue_events, with_outbox_topics
from shared.topics import CASE_EVENTS, RESIDENT_CONTACTS


class CaseRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = db["cases"]
        self.attachments: AsyncCollection[Document] = db["attachments"]
        # The contacts "me too" supporters left (their indexes: adapters/erasure.py).
        self.supporters: AsyncCollection[Document] = db["supporters"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index("tracking_code", unique=True)
        await self.attachments.create_index("case_id")
        # Every case has a key (its own id when the client sent none), so a plain unique
        # index works on stores without sparse or partial indexes.
        await self.collection.create_index("idempotency_key", unique=True)
        await ensure_outbox_index(self.collection)
        # Open311's search: a window of submission times, newest first.
        await self.collection.create_index([("submitted_at", -1)])
        # The public list: only consented, resident-submitted cases carry the field.
        await self.collection.create_index([("published_at", -1)], sparse=True)
        # Suggestions and "me too": the newest open cases of one station and category.
        await self.collection.create_index(
            [("station_id", 1), ("category", 1), ("status", 1), ("submitted_at", -1)]
        )

    async def add(
        self,
        case: NewCase,
        submitted: Envelope,
        *,
        contact: Envelope | None = None,
        idempotency_key: str | None,
        fingerprint: str,
        attachments: Sequence[CleanAttachment] = (),
    ) -> Document:
        """Store the case and its `case.submitted` event in one write.

        The resident's contact, if given, goes to notify on its private topic ahead of the
        case's first event, so notify usually knows it before anything happens to the case.
        Photos (already cleaned of metadata, each with its thumbnail) are stored first, so a
        stored case never points at a missing one. A retried submission with the same
        Idempotency-Key returns the first case instead.
        """
        data = case.submitted
        described = [a.stored() for a in attachments]
        if attachments:
            await self.attachments.insert_many(
                [
                    {
                        "_id": f"{case.case_id}:{d.n}",
                        "case_id": case.case_id,
                        **d.model_dump(),
                        "width": a.image.width,
                        "height": a.image.height,
                        "data": Binary(a.image.data),
                        "thumbnail": Binary(a.image.thumbnail),
                        "thumbnail_type": THUMBNAIL_TYPE,
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
                may_publish=case.may_publish,
            ),
            "contact": case.contact.model_dump(exclude_none=True) if case.contact else None,
            # How an erasure request by phone or email finds the case (adapters/erasure.py).
            **contact_fields(case.contact.model_dump() if case.contact else None),
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

    async def photo(
        self, case_id: str, n: int, *, thumbnail: bool = False
    ) -> tuple[str, bytes] | None:
        """Photo `n` of the case as stored: its content type and bytes, or None.

        With `thumbnail`, its thumbnail; photos stored before thumbnails existed have none,
        and the photo itself stands in. Only the bytes asked for are read.
        """
        key = f"{case_id}:{n}"
        if thumbnail:
            found = await self.attachments.find_one(
                {"_id": key, "thumbnail": {"$exists": True}}, {"thumbnail": 1, "thumbnail_type": 1}
            )
            if found is not None:
                return found["thumbnail_type"], bytes(found["thumbnail"])
        found = await self.attachments.find_one({"_id": key}, {"data": 1, "content_type": 1})
        return None if found is None else (found["content_type"], bytes(found["data"]))

    async def by_tracking_code(self, tracking_code: str) -> Document | None:
        return await self.collection.find_one({"tracking_code": tracking_code}, {"contact": 0})

    async def with_surviving(self, document: Document | None) -> Document | None:
        """A merged case with what its resident follows of the surviving case (under
        `surviving`): one lookup by id. Other cases as they are."""
        into = document.get("merged_into_case_id") if document else None
        if document is None or document.get("status") != "merged" or not into:
            return document
        surviving = await self.collection.find_one(
            {"_id": into},
            {
                "status": 1,
                "version": 1,
                "station": 1,
                "response": 1,
                "responded_at": 1,
                "updated_at": 1,
                "supporters": 1,
                "timeline": 1,
            },
        )
        return {**document, SURVIVING: surviving} if surviving else document

    async def pending_snapshot(self, *, case_id: str, event_id: str) -> CaseSnapshot | None:
        """The case as it is now, or None when it is unknown or already has this event."""
        document = await self.collection.find_one(
            {"_id": case_id, applied_key(event_id): {"$exists": False}},
            dict.fromkeys(SNAPSHOT_FIELDS, 1),
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
        fields: Document = {**change.fields, applied_key(event_id): True}
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
                applied_key(event_id): {"$exists": False},
            },
            update,
        )
        return result.modified_count == 1

    async def pending_snapshots(
        self, case_ids: Sequence[str]
    ) -> dict[str, tuple[CaseSnapshot, frozenset[str]]]:
        """Each known case as it is now, with the ids of the events already applied to it."""
        documents = await find_in(
            self.collection,
            "_id",
            sorted(set(case_ids)),
            {**dict.fromkeys(SNAPSHOT_FIELDS, 1), "awaiting_reply": 1, "applied": 1},
        )
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
                fields[applied_key(event_id)] = True
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

    async def open_alike(
        self, *, station_id: str, category: str, statuses: Sequence[str], limit: int
    ) -> list[Document]:
        """The newest `limit` cases of the station and category in one of `statuses`, with
        what similarity and a public suggestion read of them (and the contact's name, read
        only to be scrubbed from the text)."""
        fields = (
            "category",
            "text",
            "channel",
            "may_publish",
            "liaison_point_id",
            "location",
            "status",
            "submitted_at",
            "supporters",
            "contact.name",
        )
        cursor = (
            self.collection.find(
                {"station_id": station_id, "category": category, "status": {"$in": list(statuses)}},
                dict.fromkeys(fields, 1),
            )
            .sort([("submitted_at", -1)])
            .limit(limit)
        )
        return await cursor.to_list()

    async def add_supporter(
        self,
        *,
        case_id: str,
        supporter_id: str,
        events: Callable[[int], Sequence[Envelope]],
        record: Document | None = None,
    ) -> tuple[str, int] | None:
        """Count one more supporter, once per `supporter_id`, in one write with the events
        `events(count)` builds (the first goes to resident-contacts when there are two).

        `record` (domain.supporters.supporter_record: the contact they left) is stored before
        the case is written, as a case's photos are, so a contact that goes to notify is always
        one an erasure finds here; it is removed again when the supporter is not counted.

        Returns the case's status and its count of supporters (unchanged when this supporter
        was counted before, or when the case is not open: the caller decides); None for an
        unknown case."""
        mark = f"supported_by.{supporter_id}"
        kept = False
        while True:
            found = await self.collection.find_one(
                {"_id": case_id}, {"status": 1, "version": 1, "supporters": 1, mark: 1}
            )
            if found is None:
                return None
            count = int(found.get("supporters") or 0)
            counted = bool((found.get("supported_by") or {}).get(supporter_id))
            if counted or not may_be_supported(found["status"]):
                if kept and not counted and record is not None:
                    # The case closed meanwhile: nobody will hear from this contact.
                    await self.supporters.delete_one(
                        {"_id": record["_id"], "erasure": {"$exists": False}}
                    )
                return found["status"], count
            if record is not None and not kept:
                await self._keep_supporter(record)
                kept = True
            built = list(events(count + 1))
            update: Document = {"$inc": {"supporters": 1}, "$set": {mark: True}}
            # Two topics in one write: queue_events takes one, so the count is set once.
            contact, case_events = built[:-1], built[-1:]
            update = queue_events(update, case_events, topic=CASE_EVENTS)
            if contact:
                update = queue_events(update, contact, topic=RESIDENT_CONTACTS)
            update["$inc"]["version"] = 1
            update["$inc"][OUTBOX_COUNT] = len(built)
            result = await self.collection.update_one(
                {"_id": case_id, "version": found["version"]}, update
            )
            if result.modified_count == 1:
                return found["status"], count + 1

    async def _keep_supporter(self, record: Document) -> None:
        """Once, and never again after an erasure (a retried request after it must not bring
        the contact back: the erased record stays in its place)."""
        with contextlib.suppress(DuplicateKeyError):
            await self.supporters.update_one(
                {"_id": record["_id"], "erasure": {"$exists": False}},
                {"$setOnInsert": {k: v for k, v in record.items() if k != "_id"}},
                upsert=True,
            )

    async def by_id(self, case_id: str, *, public_only: bool = False) -> Document | None:
        """The public fields of one case, or None; with `public_only`, None as well for a case
        the public may not read (as if it did not exist)."""
        query: Document = {"_id": case_id}
        if public_only:
            query["published_at"] = {"$exists": True}
        return await self.collection.find_one(query, _open311_fields(public_only=public_only))

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
        public_only: bool = False,
    ) -> list[Document]:
        """The public fields of matching cases, newest first. None means no filter.

        With `public_only`, only the cases the public may read: the window and the order are
        on `published_at` (their submission time), which the sparse index holds for them alone,
        so the private cases cost nothing however many there are."""
        time_field = "published_at" if public_only else "submitted_at"
        query: Document = {}
        if ids is not None:
            query["_id"] = {"$in": list(ids)}
        window: Document = {}
        if submitted_from is not None:
            window["$gte"] = submitted_from
        if submitted_until is not None:
            window["$lte"] = submitted_until
        if public_only and not window:
            window["$exists"] = True
        if window:
            query[time_field] = window
        if statuses is not None:
            query["status"] = {"$in": list(statuses)}
        if categories is not None:
            query["category"] = {"$in": list(categories)}
        cursor = (
            self.collection.find(query, _open311_fields(public_only=public_only))
            .sort([(time_field, -1), ("_id", 1)])
            .skip(skip)
            .limit(limit)
        )
        return await cursor.to_list()


def _open311_fields(*, public_only: bool) -> Document:
    """PUBLIC_FIELDS; for the public, the resident's contact name too, read only to be scrubbed
    from what it sees (services.intake.open311.from_case.public_service_request)."""
    fields = dict.fromkeys(PUBLIC_FIELDS, 1)
    if public_only:
        fields["contact.name"] = 1
    return fields
