"""Who holds each case and what was done to it: routing's record, with its outgoing events.

Every change is one single-document update guarded by the case's `version`, carrying the audit
entries and the events it causes (outbox), so two concurrent actions cannot both win.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo import DESCENDING, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.routing.adapters.case_documents import watch_for
from services.routing.adapters.open_loads import OpenLoads
from services.routing.domain.workflow import OPEN, Actor
from shared.events.envelope import Envelope
from shared.mongo import Document, find_in, insert_new, matches_simple, newest
from shared.outbox import HIDE_OUTBOX, ensure_outbox_index, queue_events
from shared.pagination import after_key, fill_page
from shared.topics import CASE_EVENTS

OPEN_STATUSES = tuple(sorted(OPEN))
# Statuses few cases are in at a time, so a listing of them reads them all through the
# (scope, status) indexes.
_LISTED_BY_STATUS = frozenset({*OPEN_STATUSES, "responded"})
# What limits whom a listing is for (see scope_query).
SCOPES = ("station_id", "representative_code", "transferred_to")
_HIDDEN = {**HIDE_OUTBOX, "applied": 0}


def _newest_key(document: Document) -> tuple[datetime, str]:
    return document["updated_at"], document["_id"]


class VersionConflict(Exception):
    """Someone else changed the case since it was read."""

    # True when the caller named the version it saw (If-Match): its precondition failed (412).
    precondition_failed: bool = False


WATCH = "sla.watch"
_WATCH_INDEX = "sla_watch"
# The earliest supervision deadline left to escalate (domain/supervision.py), sparse-indexed
# like `sla.watch`: the scheduler reads only the cases whose supervision is due.
SUPERVISION_WATCH = "supervision_watch"
# What counting a case's deadlines again reads (adapters/case_documents.py, recounted_sla).
_RECOUNT_FIELDS = {
    "status": 1,
    "version": 1,
    "sla": 1,
    "submitted_at": 1,
    "assigned_at": 1,
    "imported": 1,
    "category": 1,
    "reopen_count": 1,
}


def scope_query(actor: Actor) -> Document:
    """The cases an actor may list; the same rule as `can_see`, as a store query."""
    if actor.role in ("admin", "supervisor"):
        return {}
    if actor.role in ("staff", "station_head"):
        return {"station_id": actor.station_id}
    if actor.role == "representative":
        return {"representative_code": actor.representative_code or "-"}
    return {"transferred_to": actor.department_id or "-"}


def _with_watch(update: Document, watch: datetime | None) -> Document:
    # Unset, not null: the sparse index then holds only cases with a deadline ahead.
    if watch is None:
        return {**update, "$unset": {**update.get("$unset", {}), WATCH: ""}}
    return {**update, "$set": {**update.get("$set", {}), WATCH: watch}}


class Unchanged:
    """The write does not change the case's status, so its next deadline stays as it is."""


UNCHANGED = Unchanged()


def _applied_key(event_id: str) -> str:
    return "applied.e" + event_id.replace("-", "")


@dataclass(frozen=True)
class ExternalChange:
    """What an event from another service changes on routing's case, applied once by its id."""

    case_id: str
    event_id: str
    changes: Document
    audit: Document


def _external_write(
    *,
    case_id: str,
    event_id: str,
    changes: Document,
    audit: Document,
    increments: Document | None = None,
) -> tuple[Document, dict[str, Any]]:
    """The filter and update applying an event from another service once, by its id."""
    applied = _applied_key(event_id)
    return {"_id": case_id, applied: {"$exists": False}}, {
        "$set": {**changes, applied: True, "updated_at": audit["at"]},
        "$push": {"audit": audit},
        "$inc": {"version": 1, **(increments or {})},
    }


class RoutedCaseRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = db["cases"]
        self.loads = OpenLoads(db)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("representative_code", 1), ("status", 1)])
        await self.collection.create_index([("station_id", 1), ("status", 1)])
        # Candidate duplicates: the newest open cases of one station and category.
        await self.collection.create_index(
            [("station_id", 1), ("category", 1), ("status", 1), ("submitted_at", DESCENDING)]
        )
        await self.collection.create_index([("transferred_to", 1), ("status", 1)])
        await self.collection.create_index([("updated_at", DESCENDING)])
        for scope in SCOPES:
            await self.collection.create_index([(scope, 1), ("updated_at", DESCENDING)])
        await ensure_outbox_index(self.collection)
        await self._ensure_watch_index()
        await self.collection.create_index(SUPERVISION_WATCH, sparse=True)
        await self.loads.ensure_indexes()

    async def _ensure_watch_index(self) -> None:
        existing = await self.collection.index_information()
        if _WATCH_INDEX in existing:
            return
        # Stores written before the watch existed: drop the deadline indexes the old scan used
        # and give every open case its watch, once.
        for old in ("sla.accept_due_1", "sla.respond_due_1"):
            if old in existing:
                await self.collection.drop_index(old)
        async for document in self.collection.find(
            {"status": {"$in": list(OPEN_STATUSES)}}, {"status": 1, "sla": 1}
        ):
            await self.collection.update_one(
                {"_id": document["_id"]},
                _with_watch({}, watch_for(document, status=document["status"])),
            )
        await self.collection.create_index(WATCH, name=_WATCH_INDEX, sparse=True)

    async def routed(self, case_ids: Iterable[str]) -> set[str]:
        """Which of these cases routing already holds."""
        wanted = sorted(set(case_ids))
        found = await find_in(self.collection, "_id", wanted, {"_id": 1})
        return {str(d["_id"]) for d in found}

    async def add_assignments(self, documents: Sequence[Document]) -> set[str]:
        """Insert first assignments in one write; returns the ids stored (not routed before:
        another replica, or a batch that crashed before committing, may have routed some)."""
        return {str(i) for i in await insert_new(self.collection, documents)}

    async def get(self, case_id: str) -> Document | None:
        return await self.collection.find_one({"_id": case_id}, _HIDDEN)

    async def record_supporters(self, counts: Mapping[str, int]) -> None:
        """Each case's "me too" count as intake last published it: never lowered, so a
        redelivered or late event changes nothing (one write for the run)."""
        ops = [
            UpdateOne({"_id": case_id}, {"$max": {"supporters": count}})
            for case_id, count in counts.items()
        ]
        if ops:
            await self.collection.bulk_write(ops, ordered=False)

    async def open_alike(self, *, station_id: str, category: str, limit: int) -> list[Document]:
        """The newest `limit` open cases of the station and category, with what similarity
        and the case page's list of candidate duplicates read of them."""
        fields = ("text", "category", "liaison_point_id", "status", "submitted_at", "supporters")
        cursor = (
            self.collection.find(
                {
                    "station_id": station_id,
                    "category": category,
                    "status": {"$in": sorted(OPEN_STATUSES)},
                },
                dict.fromkeys(fields, 1),
            )
            .sort([("submitted_at", DESCENDING)])
            .limit(limit)
        )
        return await cursor.to_list()

    async def apply(
        self,
        *,
        case_id: str,
        version: int,
        changes: Document,
        audit: Sequence[Document],
        events: Sequence[Envelope],
        push: Document | None = None,
        at: datetime,
        watch: datetime | Unchanged | None = UNCHANGED,
    ) -> None:
        """One guarded write: the new state, its audit entries and its events.

        A write that changes the status passes the case's next deadline in it (`watch_for`).
        """
        update: Document = {
            "$set": {**changes, "updated_at": at},
            "$push": {"audit": {"$each": list(audit)}, **(push or {})},
            "$inc": {"version": 1},
        }
        if not isinstance(watch, Unchanged):
            update = _with_watch(update, watch)
        update = queue_events(update, events, topic=CASE_EVENTS)
        result = await self.collection.update_one({"_id": case_id, "version": version}, update)
        if result.matched_count != 1:
            raise VersionConflict(case_id)

    async def apply_external(
        self,
        *,
        case_id: str,
        event_id: str,
        changes: Document,
        audit: Document,
        increments: Document | None = None,
        watch: datetime | Unchanged | None = UNCHANGED,
    ) -> bool:
        """An event from another service (rating, reopening): applied once, by event id."""
        query, update = _external_write(
            case_id=case_id, event_id=event_id, changes=changes, audit=audit, increments=increments
        )
        if not isinstance(watch, Unchanged):
            update = _with_watch(update, watch)
        result = await self.collection.update_one(query, update)
        return result.modified_count == 1

    async def apply_external_many(self, changes: Sequence[ExternalChange]) -> None:
        """Events from another service that change neither status nor deadlines (ratings),
        each applied once by event id: one write for the batch, in the batch's order (two
        ratings of one case end with the later)."""
        ops = [
            UpdateOne(
                *_external_write(
                    case_id=c.case_id, event_id=c.event_id, changes=c.changes, audit=c.audit
                )
            )
            for c in changes
        ]
        if ops:
            await self.collection.bulk_write(ops, ordered=True)

    async def breach_candidates(self, *, now: datetime, limit: int = 200) -> list[Document]:
        """Cases whose next deadline has passed: only due work, served by the sparse index."""
        return (
            await self.collection.find(
                {WATCH: {"$lte": now}}, {**_HIDDEN, "audit": 0, "decisions": 0}
            )
            .limit(limit)
            .to_list()
        )

    async def mark_escalated(
        self,
        *,
        case: Document,
        deadlines: Sequence[str],
        audit: Sequence[Document],
        events: Sequence[Envelope],
    ) -> bool:
        """Once per breach: the flags in the filter let exactly one scheduler replica win.

        Guarded by the version read too, so the next deadline written with it is the case's.
        """
        flags = {f"sla.{d}_escalated": True for d in deadlines}
        escalated = {
            **case,
            "sla": {**case.get("sla", {}), **{f"{d}_escalated": True for d in deadlines}},
        }
        update = queue_events(
            _with_watch(
                {"$set": flags, "$push": {"audit": {"$each": list(audit)}}},
                watch_for(escalated, status=case["status"]),
            ),
            events,
            topic=CASE_EVENTS,
        )
        result = await self.collection.update_one(
            {"_id": case["_id"], "version": case["version"], **dict.fromkeys(flags, False)},
            update,
        )
        return result.modified_count == 1

    async def rewatch(self, case: Document) -> None:
        """A candidate with nothing to escalate now: move its watch to its next deadline."""
        await self.collection.update_one(
            {"_id": case["_id"], "version": case["version"]},
            _with_watch({}, watch_for(case, status=case["status"])),
        )

    async def supervision_candidates(self, *, now: datetime, limit: int = 200) -> list[Document]:
        """Cases whose earliest supervision deadline left has passed: due work only."""
        return (
            await self.collection.find(
                {SUPERVISION_WATCH: {"$lte": now}},
                {
                    "status": 1,
                    "station_id": 1,
                    "representative_code": 1,
                    "transferred_to": 1,
                    "supervisions": 1,
                    "version": 1,
                },
            )
            .limit(limit)
            .to_list()
        )

    async def mark_supervisions_escalated(
        self,
        *,
        case: Document,
        positions: Sequence[int],
        at: datetime,
        watch: datetime | None,
        audit: Sequence[Document],
        events: Sequence[Envelope],
    ) -> bool:
        """Once per record: its flag in the filter lets exactly one scheduler replica win, the
        version read keeps the next watch the case's. Like an SLA escalation it moves neither
        `version` nor `updated_at`, so no one's If-Match fails for it."""
        flags = {f"supervisions.{i}.escalated": True for i in positions}
        stamps = {f"supervisions.{i}.escalated_at": at for i in positions}
        update = queue_events(
            self._with_supervision_watch(
                {"$set": {**flags, **stamps}, "$push": {"audit": {"$each": list(audit)}}}, watch
            ),
            events,
            topic=CASE_EVENTS,
        )
        result = await self.collection.update_one(
            {"_id": case["_id"], "version": case["version"], **dict.fromkeys(flags, False)},
            update,
        )
        return result.modified_count == 1

    async def rewatch_supervision(self, case: Document, watch: datetime | None) -> None:
        """A candidate with nothing to escalate now (answered, or over): move its watch on."""
        await self.collection.update_one(
            {"_id": case["_id"], "version": case["version"]},
            self._with_supervision_watch({}, watch),
        )

    @staticmethod
    def _with_supervision_watch(update: Document, watch: datetime | None) -> Document:
        if watch is None:
            return {**update, "$unset": {SUPERVISION_WATCH: ""}}
        return {**update, "$set": {**update.get("$set", {}), SUPERVISION_WATCH: watch}}

    async def open_cases(self, *, batch_size: int) -> AsyncIterator[list[Document]]:
        """Every open case, in batches of the fields a recount reads, along the status index
        (its cost follows the open cases, not every case ever stored). A recount changes no
        status, so the walk neither skips nor repeats a case."""
        batch: list[Document] = []
        cursor = self.collection.find(
            {"status": {"$in": list(OPEN_STATUSES)}}, _RECOUNT_FIELDS, batch_size=batch_size
        )
        async for document in cursor:
            batch.append(document)
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    async def recount_rows(self, case_ids: Iterable[str]) -> list[Document]:
        """These cases again, with the fields a recount reads."""
        wanted = sorted(set(case_ids))
        return await find_in(self.collection, "_id", wanted, _RECOUNT_FIELDS)

    async def last_reopened(self, case_ids: Iterable[str]) -> dict[str, datetime]:
        """When each of these cases was last reopened, from its audit trail: for cases stored
        before the reopening time was kept with the response deadline (`sla.respond_from`)."""
        wanted = sorted(set(case_ids))
        if not wanted:
            return {}
        found: dict[str, datetime] = {}
        for document in await find_in(self.collection, "_id", wanted, {"audit": 1}):
            times = [a["at"] for a in document.get("audit") or () if a.get("action") == "reopen"]
            if times:
                found[str(document["_id"])] = max(times)
        return found

    async def set_deadlines(self, changes: Sequence[tuple[Document, Document]]) -> int:
        """Write counted-again deadlines (`(case as read, sla fields)`) in one bulk write, each
        with the case's next deadline to watch, guarded by the version read: a case changed
        meanwhile is not matched and the caller counts it again. Returns how many matched.

        The version is not moved: like an escalation, a recount must never make a staff
        member's If-Match fail. An escalation between the read and this write is not lost
        either: the watch written from the older read is only early, and the scheduler then
        moves it on (`rewatch`)."""
        ops = []
        for case, fields in changes:
            counted = {**case, "sla": {**(case.get("sla") or {}), **fields}}
            update = _with_watch(
                {"$set": {f"sla.{name}": value for name, value in fields.items()}},
                watch_for(counted, status=case["status"]),
            )
            ops.append(UpdateOne({"_id": case["_id"], "version": case["version"]}, update))
        if not ops:
            return 0
        result = await self.collection.bulk_write(ops, ordered=False)
        return result.matched_count

    async def list_cases(
        self, query: Document, *, limit: int, after: tuple[datetime, str] | None = None
    ) -> list[Document]:
        """Newest change first, by (`updated_at`, `_id`); with `after` (a page's cursor) only
        those that sort after it. Open cases are few and indexed by status; any other listing
        (a station's history) reads only the recent stretch of time that fills the page."""
        projection = {**_HIDDEN, "audit": 0, "decisions": 0}
        status = query.get("status")
        if isinstance(status, str) and status in _LISTED_BY_STATUS:
            # One open status is a list of one: the status index serves it, where a station's
            # recent stretch would be read whole and filtered here.
            status = {"$in": [status]}
            query = {**query, "status": status}
        if isinstance(status, dict) and set(status.get("$in", ())) <= _LISTED_BY_STATUS:
            bounded = query if after is None else {**query, "updated_at": {"$lte": after[0]}}

            async def fetch(n: int) -> list[Document]:
                cursor = self.collection.find(bounded, projection)
                return await cursor.sort("updated_at", DESCENDING).limit(n).to_list()

            def kept(documents: Sequence[Document]) -> list[Document]:
                ordered = sorted(documents, key=_newest_key, reverse=True)
                return after_key(ordered, key=_newest_key, start=after)

            found = await fill_page(fetch, keep=kept, limit=limit)
            return found[:limit]
        scope_field = next((k for k in SCOPES if k in query), None)
        scope = {scope_field: query[scope_field]} if scope_field else {}
        rest = {k: v for k, v in query.items() if k != scope_field}
        return await newest(
            self.collection,
            scope=scope,
            field="updated_at",
            limit=limit,
            now=datetime.now(UTC),
            keep=(lambda d: matches_simple(d, rest)) if rest else None,
            projection=projection,
            before=after,
        )

    async def add_imported(self, documents: Sequence[Document]) -> set[str]:
        """Record past cases as they were when imported (domain/imports.py): no events, no
        deadline to watch. Returns the ids stored now (not recorded before)."""
        return await self.add_assignments(documents)
