"""Who holds each case: routing's record of every assignment, with its outgoing events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.routing.domain.assignment import RoutingDecision
from shared.events.envelope import Envelope
from shared.mongo import Document
from shared.outbox import ensure_outbox_index, with_outbox
from shared.topics import CASE_EVENTS

OPEN_STATUSES = ("assigned", "accepted", "in_review", "handling", "transferred", "reopened")


class RoutedCaseRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = db["cases"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("representative_code", 1), ("status", 1)])
        await self.collection.create_index([("station_id", 1), ("status", 1)])
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
        decision: RoutingDecision,
        cause_event_id: str,
        assigned_at: datetime,
        event: Envelope,
    ) -> bool:
        """Record the first assignment of a case with its event; False if already routed."""
        document: Document = {
            "_id": case_id,
            "category": category,
            "status": "assigned",
            "station_id": decision.station_id,
            "liaison_point_id": decision.liaison_point_id,
            "representative_code": decision.representative_code,
            "reason": decision.reason,
            "decisions": [{**decision.model_dump(), "at": assigned_at, "cause": cause_event_id}],
            "assigned_at": assigned_at,
            "updated_at": assigned_at,
            "version": 1,
        }
        try:
            await self.collection.insert_one(with_outbox(document, [event], topic=CASE_EVENTS))
        except DuplicateKeyError:
            return False
        return True

    async def get(self, case_id: str) -> Document | None:
        return await self.collection.find_one({"_id": case_id}, {"outbox": 0, "outbox_lease": 0})
