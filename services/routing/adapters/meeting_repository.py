"""Meetings and themed activities in routing's database, with their outgoing events.

A meeting is written once, with its `meeting.recorded` event in the same document (outbox).
The cases it lists link back to it through their own `meetings` array: one single-document
`$addToSet` per case, so linking again changes nothing. Linking leaves a case's `version` alone:
it is not a state change, and must not make a staff member's If-Match fail.

A planned meeting is written without an event; holding it, and each item's decision, is one
update guarded by the meeting's `version` as read (the step's domain function moved it on by
one) that queues the step's events: `meeting.recorded`, or the item's `case.meeting_decided`
(topic `case-events`, keyed by case). Of two staff deciding the same item at once exactly one
writes, and tells residents. The guard is the version, not "the item's decision is null": the
local store matches a null equality on an array element's field even once it is set.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, get_args

from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.routing.domain.meeting_agenda import OpenCase
from services.routing.domain.meetings import Decision, Meeting
from services.routing.domain.workflow import Status
from shared.events.case_events import CLOSED_STATUSES
from shared.events.envelope import Envelope
from shared.mongo import Document
from shared.outbox import HIDE_OUTBOX, ensure_outbox_index, queue_events, with_outbox
from shared.pagination import after_key, fill_page
from shared.topics import CASE_EVENTS, STATION_ACTIVITIES

# The statuses an agenda takes cases from: every routing status but those of a case that is
# over. Listed, not negated: `$in` is served by the (station_id, status) index, `$nin` is not.
AGENDA_STATUSES = sorted(set(get_args(Status)) - CLOSED_STATUSES)

_HIDDEN = HIDE_OUTBOX


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

    async def add(self, meeting: Meeting, *, event: Envelope | None) -> None:
        """A new meeting; a planned one has no event yet (None)."""
        events = [event] if event is not None else []
        await self.collection.insert_one(
            with_outbox(_document(meeting), events, topic=STATION_ACTIVITIES)
        )

    async def hold(self, meeting: Meeting, *, event: Envelope) -> bool:
        """Store the planned meeting as held, with its event; False when someone stepped it
        meanwhile."""
        document = _document(meeting)
        fields = ("status", "held_on", "attendance", "minutes", "outcome", "version")
        update = queue_events(
            {"$set": {k: document[k] for k in fields}}, [event], topic=STATION_ACTIVITIES
        )
        result = await self.collection.update_one(
            {"_id": meeting.meeting_id, "status": "planned", "version": meeting.version - 1},
            update,
        )
        return result.modified_count == 1

    async def decide(
        self, meeting: Meeting, *, item_id: str, decision: Decision, events: Sequence[Envelope]
    ) -> bool:
        """Store the item's decision with its case events; False when someone stepped the
        meeting meanwhile (the caller reads it again)."""
        position = next(n for n, i in enumerate(meeting.agenda) if i.item_id == item_id)
        update = queue_events(
            {
                "$set": {
                    f"agenda.{position}.decision": decision.model_dump(),
                    "version": meeting.version,
                }
            },
            list(events),
            topic=CASE_EVENTS,
        )
        result = await self.collection.update_one(
            {"_id": meeting.meeting_id, "version": meeting.version - 1}, update
        )
        return result.modified_count == 1

    async def open_cases(self, *, station_id: str, limit: int) -> list[OpenCase]:
        """The station's newest `limit` cases that are not over, along the (station_id,
        status) index: what an agenda is proposed from."""
        cursor = (
            self._cases.find(
                {"station_id": station_id, "status": {"$in": AGENDA_STATUSES}},
                {"category": 1, "liaison_point_id": 1, "submitted_at": 1},
            )
            .sort([("submitted_at", DESCENDING)])
            .limit(limit)
        )
        return [
            OpenCase(
                case_id=row["_id"],
                category=row["category"],
                liaison_point_id=row.get("liaison_point_id"),
                submitted_at=row["submitted_at"],
            )
            for row in await cursor.to_list()
        ]

    async def case_states(self, case_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """Each of these cases routing holds: its (station, status)."""
        if not case_ids:
            return {}
        rows = await self._cases.find(
            {"_id": {"$in": list(case_ids)}}, {"station_id": 1, "status": 1}
        ).to_list()
        return {row["_id"]: (row["station_id"], row["status"]) for row in rows}

    async def write_back(self, *, meeting_id: str, entries: dict[str, Document]) -> int:
        """Each case's audit entry for the decision, and its link to the meeting. Like linking,
        it leaves `version` alone. Returns how many cases changed."""
        changed = 0
        for case_id, entry in entries.items():
            result = await self._cases.update_one(
                {"_id": case_id},
                {"$addToSet": {"meetings": meeting_id}, "$push": {"audit": entry}},
            )
            changed += result.modified_count
        return changed

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
