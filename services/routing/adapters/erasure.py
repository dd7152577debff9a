"""Erasing the resident's data from routing's copy of a case, once (`erased` marks it)."""

from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.collection import AsyncCollection

from services.routing.domain.erasure import erased_fields
from shared.mongo import Document

_READ = {"version": 1, "text": 1, "messages": 1, "audit": 1, "house_repair": 1, "erased": 1}


class RoutedCaseErasure:
    def __init__(self, cases: AsyncCollection[Document]) -> None:
        self._cases = cases

    async def get(self, case_id: str) -> Document | None:
        return await self._cases.find_one({"_id": case_id}, _READ)

    async def erase(self, document: Document, *, at: datetime) -> bool:
        """One write guarded by the version read; False when the case changed since (read it
        again) or was erased meanwhile."""
        result = await self._cases.update_one(
            {"_id": document["_id"], "version": document["version"], "erased": {"$exists": False}},
            {"$set": erased_fields(document, at=at), "$inc": {"version": 1}},
        )
        return result.modified_count == 1
