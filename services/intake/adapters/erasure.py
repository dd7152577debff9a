"""Erasure and retention in intake's store, and the tombstones on the `resident-contacts` topic.

Every read a timer or a request makes here goes through an index (docs/operations.md, "Query
shapes"): a request finds a resident's cases by the normalized contact keys a case carries only
while it has a contact (`contact_phone_key`, `contact_email_key`, sparse); the finisher finds
erasures still to finish by `erasure_pending` (sparse: only while unfinished); the retention job
finds ended cases by `retention_since` (sparse: set when a case ends, removed once the job has
dealt with it), and their supporters' records by `case_id`. A "me too" supporter's record
(`supporters`, keyed `<case id>/<supporter id>` as on the topic) carries the same contact keys
and `erasure_pending` as a case.

The erasure log (`erasures`) holds no personal data: one entry per case and scope with when,
by whom and the keyed hash of the subject, for audits and to answer a repeated request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.intake.domain.erasure import CONTACT_KEY_FIELDS, CaseErasure, contact_fields
from services.intake.domain.supporters import contact_key
from services.intake.domain.timeline import RETENTION_SINCE
from shared.events.case_events import CLOSED_STATUSES
from shared.events.envelope import Envelope
from shared.logging import get_logger
from shared.mongo import Document, find_in
from shared.outbox import OUTBOX_COUNT, queue_events
from shared.producer import EventPublisher
from shared.settings import ServiceSettings
from shared.topics import CASE_EVENTS, RESIDENT_CONTACTS

log = get_logger(__name__)

PENDING = "erasure_pending"
# What erasing a case reads of it (erase_case needs the free text it replaces).
_ERASURE_FIELDS = {
    "version": 1,
    "status": 1,
    "contact": 1,
    "messages": 1,
    "timeline": 1,
    "response": 1,
    "rejection_reason": 1,
    "erasure": 1,
    RETENTION_SINCE: 1,
}
_MIGRATION = "contact_keys_and_retention"


@dataclass(frozen=True)
class PendingErasure:
    case_id: str
    marker: Document
    pending_since: datetime
    drained: bool
    """Nothing of the case waits in its outbox: its `case.erased`, and any contact record
    queued before it, are on their topics, so a tombstone now comes after them."""
    supporter_id: str | None = None
    """Set: the erasure of this supporter's record of the case, not of the case."""

    @property
    def contact_key(self) -> str:
        """The key of the contact's record on `resident-contacts`."""
        if self.supporter_id is None:
            return self.case_id
        return contact_key(self.case_id, self.supporter_id)


class ErasureRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.cases: AsyncCollection[Document] = db["cases"]
        self.attachments: AsyncCollection[Document] = db["attachments"]
        self.supporters: AsyncCollection[Document] = db["supporters"]
        self.log: AsyncCollection[Document] = db["erasures"]
        self._migrations: AsyncCollection[Document] = db["migrations"]

    async def ensure_indexes(self) -> None:
        for field in CONTACT_KEY_FIELDS.values():
            await self.cases.create_index(field, sparse=True)
        await self.cases.create_index(PENDING, sparse=True)
        await self.cases.create_index(RETENTION_SINCE, sparse=True)
        for field in CONTACT_KEY_FIELDS.values():
            await self.supporters.create_index(field, sparse=True)
        await self.supporters.create_index(PENDING, sparse=True)
        await self.supporters.create_index("case_id")
        await self.log.create_index("subject")
        await self.log.create_index("case_id")
        await self._migrate()

    async def _migrate(self) -> None:
        """Cases stored before erasure existed: give those with a contact their lookup keys
        and, once ended, their retention mark. Once per store (a marker in `migrations` says it
        is done): one pass over the cases along the submission-time index."""
        if await self._migrations.find_one({"_id": _MIGRATION}) is not None:
            return
        migrated = 0
        async for document in self.cases.find(
            {"submitted_at": {"$lte": datetime.now(UTC)}, "contact": {"$ne": None}},
            {"contact": 1, "status": 1, "updated_at": 1, "erasure": 1, RETENTION_SINCE: 1},
        ):
            if "erasure" in document:
                continue
            fields: Document = contact_fields(document.get("contact"))
            if document.get("status") in CLOSED_STATUSES and RETENTION_SINCE not in document:
                fields[RETENTION_SINCE] = document["updated_at"]
            if fields:
                await self.cases.update_one({"_id": document["_id"]}, {"$set": fields})
                migrated += 1
        await self._migrations.update_one(
            {"_id": _MIGRATION}, {"$set": {"migrated": migrated}}, upsert=True
        )
        log.info("erasure.migrated", cases=migrated)

    async def by_tracking_code(self, tracking_code: str) -> Document | None:
        return await self.cases.find_one(
            {"tracking_code": tracking_code}, {"status": 1, "erasure": 1}
        )

    async def by_contact(self, key: str) -> list[Document]:
        """The cases whose resident left this contact (`phone:…` or `email:…`)."""
        field = CONTACT_KEY_FIELDS[key.partition(":")[0]]
        return await self.cases.find({field: key}, {"status": 1, "erasure": 1}).to_list()

    async def supporters_by_contact(self, key: str) -> list[Document]:
        """The supporters' records that carry this contact (`phone:…` or `email:…`)."""
        field = CONTACT_KEY_FIELDS[key.partition(":")[0]]
        return await self.supporters.find(
            {field: key}, {"case_id": 1, "supporter_id": 1, "erasure": 1}
        ).to_list()

    async def supporters_with_contact(self, case_ids: list[str]) -> list[Document]:
        """The supporters' records of these cases whose contact is still kept: one read."""
        if not case_ids:
            return []
        return await self.supporters.find(
            {"case_id": {"$in": case_ids}, "contact": {"$ne": None}},
            {"case_id": 1, "supporter_id": 1},
        ).to_list()

    async def apply_to_supporter(
        self, *, case_id: str, supporter_id: str, erasure: CaseErasure, at: datetime
    ) -> bool:
        """Erase a supporter's record, marked unfinished (its tombstone is due); False when it
        was erased before (by another request, replica or the retention job)."""
        result = await self.supporters.update_one(
            {"_id": contact_key(case_id, supporter_id), "erasure": {"$exists": False}},
            {
                "$set": {**erasure.set, PENDING: at},
                "$unset": dict.fromkeys(erasure.unset, ""),
            },
        )
        return result.modified_count == 1

    async def logged_for_subject(self, subject: str) -> list[Document]:
        return await self.log.find({"subject": subject}).to_list()

    async def log_of(self, case_id: str) -> list[Document]:
        # A case has an entry or two: sorted here, not by the store (which would fetch, then
        # sort, every match anyway).
        found = await self.log.find({"case_id": case_id}).to_list()
        return sorted(found, key=lambda entry: entry["at"])

    async def get(self, case_id: str) -> Document | None:
        return await self.cases.find_one({"_id": case_id}, _ERASURE_FIELDS)

    async def apply(
        self, *, case_id: str, version: int, erasure: CaseErasure, event: Envelope, at: datetime
    ) -> bool:
        """Erase the case in one write guarded by the version read, with its `case.erased`
        event and the mark that the erasure is still to finish. False: the case changed since
        it was read (or a replica erased it first)."""
        update = queue_events(
            {
                "$set": {**erasure.set, PENDING: at},
                "$unset": dict.fromkeys(erasure.unset, ""),
                "$inc": {"version": 1},
            },
            [event],
            topic=CASE_EVENTS,
        )
        result = await self.cases.update_one({"_id": case_id, "version": version}, update)
        return result.modified_count == 1

    async def delete_photos(self, case_id: str) -> int:
        """The photos' bytes and thumbnails (the case no longer lists them)."""
        result = await self.attachments.delete_many({"case_id": case_id})
        return result.deleted_count

    async def record(
        self, case_id: str, marker: Document, *, supporter_id: str | None = None
    ) -> None:
        """The log entry of this case's (or this supporter's of it) erasure at the marker's
        scope; the first one stays."""
        scope = marker["scope"]
        await self.log.update_one(
            {"_id": f"{_logged_as(case_id, supporter_id)}:{scope}"},
            {
                "$setOnInsert": {
                    "case_id": case_id,
                    "supporter_id": supporter_id,
                    "scope": scope,
                    "at": marker["at"],
                    "by": marker["by"],
                    "subject": marker.get("subject"),
                    "contact": bool(marker.get("contact")),
                }
            },
            upsert=True,
        )

    async def pending(self, *, limit: int = 100) -> list[PendingErasure]:
        """Unfinished erasures: of cases, then of supporters' records (whose contact record
        went out through their case's outbox: drained when the case's is)."""
        found = (
            await self.cases.find(
                {PENDING: {"$exists": True}}, {"erasure": 1, PENDING: 1, OUTBOX_COUNT: 1}
            )
            .limit(limit)
            .to_list()
        )
        waiting = [
            PendingErasure(
                case_id=d["_id"],
                marker=d["erasure"],
                pending_since=d[PENDING],
                drained=not d.get(OUTBOX_COUNT),
            )
            for d in found
        ]
        supporters = (
            await self.supporters.find(
                {PENDING: {"$exists": True}},
                {"case_id": 1, "supporter_id": 1, "erasure": 1, PENDING: 1},
            )
            .limit(limit)
            .to_list()
        )
        if not supporters:
            return waiting
        busy = {
            d["_id"]
            for d in await self.cases.find(
                {"_id": {"$in": sorted({s["case_id"] for s in supporters})}},
                {OUTBOX_COUNT: 1},
            ).to_list()
            if d.get(OUTBOX_COUNT)
        }
        return waiting + [
            PendingErasure(
                case_id=s["case_id"],
                marker=s["erasure"],
                pending_since=s[PENDING],
                drained=s["case_id"] not in busy,
                supporter_id=s["supporter_id"],
            )
            for s in supporters
        ]

    async def finish(self, erasure: PendingErasure, *, at: datetime, tombstone: bool) -> None:
        """Log that the erasure is complete, then take the case off the finisher's index,
        unless a wider erasure marked it again meanwhile."""
        logged = _logged_as(erasure.case_id, erasure.supporter_id)
        await self.log.update_one(
            {"_id": f"{logged}:{erasure.marker['scope']}"},
            {"$set": {"finished_at": at, "tombstone_at": at if tombstone else None}},
        )
        if erasure.supporter_id is not None:
            await self.supporters.update_one(
                {"_id": logged, PENDING: erasure.pending_since}, {"$unset": {PENDING: ""}}
            )
            return
        await self.cases.update_one(
            {"_id": erasure.case_id, PENDING: erasure.pending_since}, {"$unset": {PENDING: ""}}
        )

    async def due_for_retention(
        self, *, cutoff: datetime, limit: int = 200, among: Sequence[str] | None = None
    ) -> list[Document]:
        """Ended cases whose contact retention ran out: due work only (the sparse index). With
        `among`, those of these ids still due (a page of a backlog, read by `_id`)."""
        due = {RETENTION_SINCE: {"$lte": cutoff}}
        if among is not None:
            return await find_in(self.cases, "_id", among, _ERASURE_FIELDS, also=due)
        return await self.cases.find(due, _ERASURE_FIELDS).limit(limit).to_list()

    async def due_ids(self, *, cutoff: datetime) -> list[str]:
        """The ids of every case due, in one read. The local store reads every match of a
        filter before it applies a limit, so a backlog read a page at a time would cost its
        square: read once, it is then taken a page at a time by `_id`."""
        found = await self.cases.find({RETENTION_SINCE: {"$lte": cutoff}}, {"_id": 1}).to_list()
        return [str(d["_id"]) for d in found]

    async def release_retention(self, cases: Sequence[Document]) -> None:
        """Nothing to expire (no contact, or reopened since it ended): off the retention index
        until they end again, in one write. Not a change of the case, so its version stays;
        a case changed since it was read keeps its mark for the next pass."""
        ops = [
            UpdateOne(
                {"_id": case["_id"], "version": case["version"]},
                {"$unset": {RETENTION_SINCE: ""}},
            )
            for case in cases
        ]
        if ops:
            await self.cases.bulk_write(ops, ordered=False)


def _logged_as(case_id: str, supporter_id: str | None) -> str:
    return case_id if supporter_id is None else contact_key(case_id, supporter_id)


class ContactTombstones:
    """Delete records on the compacted `resident-contacts` topic: the key intake published the
    contact under (the case id; a supporter's, `<case id>/<supporter id>`) with no value.
    Compaction then drops the contact for good, and notify forgets it when it reads the
    tombstone."""

    def __init__(self, *, publisher: EventPublisher, settings: ServiceSettings) -> None:
        self._publisher = publisher
        self._topic = settings.topic(RESIDENT_CONTACTS)

    async def publish(self, key: str, *, reason: str) -> None:
        """Returns once the broker has acknowledged it."""
        await self._publisher.publish_raw(
            self._topic, key=key.encode(), value=None, headers=[("erased", reason.encode())]
        )
