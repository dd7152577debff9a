"""Who holds each case and what was done to it: routing's record, with its outgoing events.

Every change is one single-document update guarded by the case's `version`, carrying the audit
entries and the events it causes (outbox), so two concurrent actions cannot both win.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.routing.domain.assignment import RoutingDecision
from services.routing.domain.sla import Deadlines
from shared.events.envelope import Envelope
from shared.mongo import Document
from shared.outbox import ensure_outbox_index, queue_events, with_outbox
from shared.topics import CASE_EVENTS

OPEN_STATUSES = ("assigned", "accepted", "in_review", "handling", "transferred", "reopened")
_HIDDEN = {"outbox": 0, "outbox_lease": 0, "outbox_count": 0, "applied": 0}


class VersionConflict(Exception):
    """Someone else changed the case since it was read."""


def _applied_key(event_id: str) -> str:
    return "applied.e" + event_id.replace("-", "")


def audit_entry(
    *,
    at: datetime,
    actor_role: str,
    actor_id: str | None,
    action: str,
    source: str | None,
    target: str,
    note: str | None = None,
) -> Document:
    return {
        "at": at,
        "actor_role": actor_role,
        "actor_id": actor_id,
        "action": action,
        "from": source,
        "to": target,
        "note": note,
    }


class RoutedCaseRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = db["cases"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("representative_code", 1), ("status", 1)])
        await self.collection.create_index([("station_id", 1), ("status", 1)])
        await self.collection.create_index([("transferred_to", 1), ("status", 1)])
        await self.collection.create_index([("updated_at", DESCENDING)])
        await self.collection.create_index([("sla.accept_due", 1)])
        await self.collection.create_index([("sla.respond_due", 1)])
        await ensure_outbox_index(self.collection)

    async def exists(self, case_id: str) -> bool:
        return await self.collection.count_documents({"_id": case_id}, limit=1) > 0

    async def open_load(self, codes: Iterable[str]) -> dict[str, int]:
        return {
            code: await self.collection.count_documents(
                {"representative_code": code, "status": {"$in": list(OPEN_STATUSES)}}
            )
            for code in codes
        }

    async def add_assignment(
        self,
        *,
        case_id: str,
        category: str,
        text: str,
        channel: str,
        submitted_at: datetime,
        decision: RoutingDecision,
        cause_event_id: str,
        assigned_at: datetime,
        deadlines: Deadlines,
        event: Envelope,
        meeting_id: str | None = None,
        attachment_count: int = 0,
    ) -> bool:
        """Record the first assignment of a case with its event; False if already routed."""
        document: Document = {
            "_id": case_id,
            "category": category,
            "text": text,
            "channel": channel,
            "submitted_at": submitted_at,
            "status": "assigned",
            "station_id": decision.station_id,
            "liaison_point_id": decision.liaison_point_id,
            "representative_code": decision.representative_code,
            "reason": decision.reason,
            "round": 1,
            "declined_by": [],
            "transferred_to": None,
            "reopen_count": 0,
            "rating": None,
            "decisions": [{**decision.model_dump(), "at": assigned_at, "cause": cause_event_id}],
            "audit": [
                audit_entry(
                    at=assigned_at,
                    actor_role="system",
                    actor_id="routing",
                    action="assign",
                    source="submitted",
                    target="assigned",
                    note=decision.reason,
                )
            ],
            "assigned_at": assigned_at,
            "updated_at": assigned_at,
            "meetings": [meeting_id] if meeting_id else [],
            # Intake keeps the photos; the workbench links to them by number.
            "attachment_count": attachment_count,
            "sla": {
                "accept_due": deadlines.accept_due,
                "respond_due": deadlines.respond_due,
                "accept_escalated": False,
                "respond_escalated": False,
            },
            "version": 1,
        }
        try:
            await self.collection.insert_one(with_outbox(document, [event], topic=CASE_EVENTS))
        except DuplicateKeyError:
            return False
        return True

    async def get(self, case_id: str) -> Document | None:
        return await self.collection.find_one({"_id": case_id}, _HIDDEN)

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
    ) -> None:
        """One guarded write: the new state, its audit entries and its events."""
        update = queue_events(
            {
                "$set": {**changes, "updated_at": at},
                "$push": {"audit": {"$each": list(audit)}, **(push or {})},
                "$inc": {"version": 1},
            },
            events,
            topic=CASE_EVENTS,
        )
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
    ) -> bool:
        """An event from another service (rating, reopening): applied once, by event id."""
        update: dict[str, Any] = {
            "$set": {**changes, _applied_key(event_id): True, "updated_at": audit["at"]},
            "$push": {"audit": audit},
            "$inc": {"version": 1, **(increments or {})},
        }
        result = await self.collection.update_one(
            {"_id": case_id, _applied_key(event_id): {"$exists": False}}, update
        )
        return result.modified_count == 1

    async def breach_candidates(self, *, now: datetime, limit: int = 200) -> list[Document]:
        """Open cases past a deadline they have not been escalated for."""
        query = {
            "$or": [
                {
                    "status": "assigned",
                    "sla.accept_due": {"$lt": now},
                    "sla.accept_escalated": False,
                },
                {
                    "status": {"$in": list(OPEN_STATUSES)},
                    "sla.respond_due": {"$lt": now},
                    "sla.respond_escalated": False,
                },
            ]
        }
        return (
            await self.collection.find(query, {**_HIDDEN, "audit": 0, "decisions": 0})
            .limit(limit)
            .to_list()
        )

    async def mark_escalated(
        self, *, case_id: str, deadline: str, audit: Document, event: Envelope
    ) -> bool:
        """Once per breach: the flag in the filter lets exactly one scheduler replica win."""
        flag = f"sla.{deadline}_escalated"
        update = queue_events(
            {"$set": {flag: True}, "$push": {"audit": audit}}, [event], topic=CASE_EVENTS
        )
        # Only while the deadline still applies: an acceptance that just won makes this miss.
        pending = ["assigned"] if deadline == "accept" else list(OPEN_STATUSES)
        result = await self.collection.update_one(
            {"_id": case_id, flag: False, "status": {"$in": pending}}, update
        )
        return result.modified_count == 1

    async def list_cases(self, query: Document, *, limit: int) -> list[Document]:
        cursor = self.collection.find(query, {**_HIDDEN, "audit": 0, "decisions": 0})
        return await cursor.sort("updated_at", DESCENDING).limit(limit).to_list()
