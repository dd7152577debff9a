"""Formal suggestions in routing's database, with their outgoing per-case events (outbox).

A suggestion is written with its `case.suggestion_linked` events in the same document; each
later step is one guarded `update_one` (status and version) that queues its events with it.
Numbers come from a counter per session year (`suggestion_numbers`, one `$inc` upsert): a
number is never handed out twice, though a submission that then fails leaves a gap.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pymongo import DESCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.routing.domain.suggestions import (
    AWAITING_ANSWER,
    LinkedCase,
    Suggestion,
    SuggestionScope,
    SuggestionStatus,
)
from shared.errors import TransientError
from shared.events.envelope import Envelope
from shared.mongo import Document
from shared.outbox import (
    HIDE_OUTBOX,
    ensure_outbox_index,
    queue_events,
    with_outbox,
)
from shared.pagination import after_key, fill_page
from shared.topics import CASE_EVENTS

# The lead and the co-signers in one array: "led or co-signed by" is one (multikey) equality.
SIGNED_BY = "signed_by"
_HIDDEN = {**HIDE_OUTBOX, SIGNED_BY: 0}


def _document(suggestion: Suggestion) -> Document:
    data = suggestion.model_dump(mode="json")
    # Days as ISO text (BSON has no date type): they sort and compare as days. Instants stay
    # BSON dates.
    data["submitted_at"] = suggestion.submitted_at
    data["answers"] = [a.model_dump() for a in suggestion.answers]
    data["evaluations"] = [e.model_dump() for e in suggestion.evaluations]
    data[SIGNED_BY] = [suggestion.lead_representative, *suggestion.cosigners]
    return {"_id": data.pop("suggestion_id"), **data}


def _suggestion(document: Document) -> Suggestion:
    data: dict[str, Any] = {k: v for k, v in document.items() if k not in _HIDDEN}
    return Suggestion.model_validate({"suggestion_id": data.pop("_id"), **data})


class SuggestionChanged(Exception):
    """Someone stepped the suggestion since it was read (409: read it again)."""


def suggestion_key(suggestion: Suggestion) -> tuple[datetime, str]:
    """Where a suggestion sorts in a list (newest first): the key its page cursor names."""
    return suggestion.submitted_at, suggestion.suggestion_id


class SuggestionRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = db["suggestions"]
        self._numbers: AsyncCollection[Document] = db["suggestion_numbers"]
        self._cases: AsyncCollection[Document] = db["cases"]

    async def ensure_indexes(self) -> None:
        newest = ("submitted_at", DESCENDING)
        for field in ("station_id", "department_id", SIGNED_BY, "year"):
            await self.collection.create_index([(field, 1), newest])
        await self.collection.create_index([newest])
        # Overdue: the unanswered ones by deadline.
        await self.collection.create_index([("status", 1), ("answer_due", 1)])
        await ensure_outbox_index(self.collection)

    async def next_number(self, year: int) -> int:
        # No upsert: racing upserts of a year's first numbers have been answered a duplicate
        # key or no document after the store had counted them, leaving gaps. A year's counter
        # is created once (the losers of that race are told a duplicate key) and then only
        # incremented.
        for _ in range(3):
            counter = await self._numbers.find_one_and_update(
                {"_id": year}, {"$inc": {"seq": 1}}, return_document=ReturnDocument.AFTER
            )
            if counter is not None:
                return int(counter["seq"])
            with contextlib.suppress(DuplicateKeyError):
                await self._numbers.insert_one({"_id": year, "seq": 0})
        raise TransientError(f"the counter of {year}'s suggestions is contended; please retry")

    async def linked_cases(self, case_ids: Sequence[str]) -> dict[str, LinkedCase]:
        """Routing's cases among `case_ids`, by id."""
        if not case_ids:
            return {}
        rows = await self._cases.find(
            {"_id": {"$in": list(case_ids)}}, {"station_id": 1, "representative_code": 1}
        ).to_list()
        return {
            row["_id"]: LinkedCase(
                case_id=row["_id"],
                station_id=row["station_id"],
                representative_code=row.get("representative_code"),
            )
            for row in rows
        }

    async def add(self, suggestion: Suggestion, *, events: Sequence[Envelope]) -> None:
        await self.collection.insert_one(
            with_outbox(_document(suggestion), events, topic=CASE_EVENTS)
        )

    async def replace(
        self, suggestion: Suggestion, *, was: SuggestionStatus, events: Sequence[Envelope]
    ) -> None:
        """Store the suggestion's next step, if no one stepped it meanwhile."""
        document = _document(suggestion)
        update = {"$set": {k: v for k, v in document.items() if k != "_id"}}
        result = await self.collection.update_one(
            {"_id": suggestion.suggestion_id, "status": was, "version": suggestion.version - 1},
            queue_events(update, events, topic=CASE_EVENTS),
        )
        if result.matched_count == 0:
            raise SuggestionChanged(suggestion.suggestion_id)

    async def get(self, suggestion_id: str) -> Suggestion | None:
        document = await self.collection.find_one({"_id": suggestion_id}, _HIDDEN)
        return _suggestion(document) if document else None

    async def list_suggestions(
        self,
        *,
        scope: SuggestionScope,
        status: SuggestionStatus | None = None,
        department_id: str | None = None,
        representative: str | None = None,
        year: int | None = None,
        overdue_on: date | None = None,
        limit: int = 100,
        after: tuple[datetime, str] | None = None,
    ) -> list[Suggestion]:
        """Newest first by (`submitted_at`, id); `overdue_on`: only those unanswered past
        their deadline on that day; with `after` (a page's cursor) only those after it."""
        query = _query(
            scope,
            status=status,
            department_id=department_id,
            representative=representative,
            year=year,
            overdue_on=overdue_on,
        )
        if query is None:
            return []
        if after is not None:
            query["submitted_at"] = {"$lte": after[0]}

        async def fetch(n: int) -> list[Suggestion]:
            cursor = self.collection.find(query, _HIDDEN).sort(
                [("submitted_at", DESCENDING), ("_id", DESCENDING)]
            )
            return [_suggestion(d) for d in await cursor.limit(n).to_list()]

        def kept(found: Sequence[Suggestion]) -> list[Suggestion]:
            ordered = sorted(found, key=suggestion_key, reverse=True)
            return after_key(ordered, key=suggestion_key, start=after)

        return (await fill_page(fetch, keep=kept, limit=limit))[:limit]


def _query(
    scope: SuggestionScope,
    *,
    status: SuggestionStatus | None,
    department_id: str | None,
    representative: str | None,
    year: int | None,
    overdue_on: date | None,
) -> Document | None:
    """One flat filter (the store reads every document for a top-level `$and` or `$or`), or
    None when the scope and the filters exclude each other."""
    query: Document = {}
    if scope.station_id is not None:
        query["station_id"] = scope.station_id
    departments = {d for d in (scope.department_id, department_id) if d is not None}
    if len(departments) > 1:
        return None
    if departments:
        query["department_id"] = departments.pop()
    codes = sorted({c for c in (scope.representative_code, representative) if c is not None})
    if codes:
        query[SIGNED_BY] = codes[0] if len(codes) == 1 else {"$all": codes}
    if year is not None:
        query["year"] = year
    if overdue_on is not None:
        if status is not None and status not in AWAITING_ANSWER:
            return None
        query["status"] = status or {"$in": sorted(AWAITING_ANSWER)}
        query["answer_due"] = {"$lt": overdue_on.isoformat()}
    elif status is not None:
        query["status"] = status
    return query
