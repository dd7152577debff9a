"""Meetings and themed activities in routing's database, with their outgoing events.

A meeting is written once, with its `meeting.recorded` event in the same document (outbox).
The cases it lists link back to it through their own `meetings` array: one single-document
`$addToSet` per case, so linking again changes nothing. Linking leaves a case's `version` alone:
it is not a state change, and must not make a staff member's If-Match fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.routing.domain.meetings import Meeting
from shared.events.envelope import Envelope
from shared.mongo import Document
from shared.outbox import OUTBOX, OUTBOX_COUNT, OUTBOX_LEASE, ensure_outbox_index, with_outbox
from shared.pagination import after_key, fill_page
from shared.topics import STATION_ACTIVITIES

_HIDDEN = {OUTBOX: 0, OUTBOX_COUNT: 0, OUTBOX_LEASE: 0}


def _document(meeting: Meeting) -> Document:
    data = meeting.model_dump()
    # Dates are stored as ISO strings (BSON has no date type): they sort and compare as dates.
    data["held_on"] = meeting.held_on.isoformat()
    return {"_id": data.pop("meeting_id"), **data}


def _meeting(document: Document) -> Meeting:
    data: dict[str, Any] = {k: v for k, v in document.items() if k not in _HIDDEN}
    return Meeting.model_validate({"meeting_id": data.pop("_id"), **data})


class MeetingRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = db["meetings"]
        self._cases: AsyncCollection[Document] = db["cases"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("station_id", 1), ("held_on", DESCENDING)])
        await self.collection.create_index([("held_on", DESCENDING)])
        await ensure_outbox_index(self.collection)

    async def station_cases(self, *, station_id: str, case_ids: Sequence[str]) -> frozenset[str]:
        """Those of `case_ids` that are routing's cases of the station."""
        if not case_ids:
            return frozenset()
        rows = await self._cases.find(
            {"_id": {"$in": list(case_ids)}, "station_id": station_id}, {"_id": 1}
        ).to_list()
        return frozenset(row["_id"] for row in rows)

    async def add(self, meeting: Meeting, *, event: Envelope) -> None:
        await self.collection.insert_one(
            with_outbox(_document(meeting), [event], topic=STATION_ACTIVITIES)
        )

    async def link_cases(self, *, meeting_id: str, case_ids: Sequence[str]) -> int:
        """Add the meeting to each case's `meetings`; returns how many cases changed."""
        linked = 0
        for case_id in case_ids:
            result = await self._cases.update_one(
                {"_id": case_id}, {"$addToSet": {"meetings": meeting_id}}
            )
            linked += result.modified_count
        return linked

    async def get(self, meeting_id: str) -> Meeting | None:
        document = await self.collection.find_one({"_id": meeting_id}, _HIDDEN)
        return _meeting(document) if document else None

    async def list_meetings(
        self,
        *,
        station_id: str | None,
        since: date | None = None,
        until: date | None = None,
        limit: int = 100,
        after: tuple[date, datetime, str] | None = None,
    ) -> list[Meeting]:
        """Newest first by (`held_on`, `recorded_at`, id); `since` and `until` are inclusive
        days; with `after` (a page's cursor) only those that sort after it."""
        query: Document = {}
        if station_id is not None:
            query["station_id"] = station_id
        held: Document = {}
        if since is not None:
            held["$gte"] = since.isoformat()
        last = until if after is None or (until is not None and until < after[0]) else after[0]
        if last is not None:
            held["$lte"] = last.isoformat()
        if held:
            query["held_on"] = held

        async def fetch(n: int) -> list[Meeting]:
            cursor = self.collection.find(query, _HIDDEN).sort(
                [("held_on", DESCENDING), ("recorded_at", DESCENDING)]
            )
            return [_meeting(d) for d in await cursor.limit(n).to_list()]

        def kept(meetings: Sequence[Meeting]) -> list[Meeting]:
            ordered = sorted(meetings, key=meeting_key, reverse=True)
            return after_key(ordered, key=meeting_key, start=after)

        found = await fill_page(fetch, keep=kept, limit=limit)
        return found[:limit]


def meeting_key(meeting: Meeting) -> tuple[date, datetime, str]:
    """Where a meeting sorts in a list (newest first): the key its page cursor names."""
    return meeting.held_on, meeting.recorded_at, meeting.meeting_id
