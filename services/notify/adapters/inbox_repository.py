"""The in-app inbox: one document per message, keyed so an event yields it once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.notify.domain.messages import Notification
from shared.events.envelope import Envelope
from shared.mongo import Document, insert_new, newest
from shared.outbox import HIDE_OUTBOX, ensure_outbox_index, with_outbox
from shared.topics import NOTIFICATION_EVENTS


@dataclass(frozen=True)
class InboxRecord:
    """An inbox message to store, with the `notification.sent` event it stores with."""

    key: str
    message: Notification
    case_id: str
    cause_event_id: str
    at: datetime
    sent: Envelope


class InboxRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = db["inbox"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("recipient", 1), ("created_at", DESCENDING)])
        await self.collection.create_index([("recipient", 1), ("read_at", 1)])
        await ensure_outbox_index(self.collection)

    async def deliver_many(self, records: Sequence[InboxRecord]) -> set[str]:
        """Store messages with their `notification.sent` events in one write; returns the keys
        stored now (the rest were there: a redelivered event)."""
        documents = [
            with_outbox(
                {
                    "_id": m.key,
                    "recipient": m.message.recipient,
                    "title": m.message.title,
                    "body": m.message.body,
                    "urgent": m.message.urgent,
                    "case_id": m.case_id,
                    "cause_event_id": m.cause_event_id,
                    "created_at": m.at,
                    "read_at": None,
                },
                [m.sent],
                topic=NOTIFICATION_EVENTS,
            )
            for m in records
        ]
        return await insert_new(self.collection, documents)

    async def list_for(
        self,
        recipient: str,
        *,
        unread_only: bool,
        limit: int,
        after: tuple[datetime, str] | None = None,
    ) -> list[Document]:
        """Newest first by (`created_at`, id), after the cursor's key if given, reading only
        the recent stretch of time that fills the page: a station's inbox gets a message for
        every case it ever had."""
        return await newest(
            self.collection,
            scope={"recipient": recipient},
            field="created_at",
            limit=limit,
            now=datetime.now(UTC),
            keep=(lambda d: d.get("read_at") is None) if unread_only else None,
            projection=HIDE_OUTBOX,
            before=after,
        )

    async def unread_count(self, recipient: str) -> int:
        return await self.collection.count_documents({"recipient": recipient, "read_at": None})

    async def mark_read(self, recipient: str, message_key: str, at: datetime) -> bool:
        """Mark once (the first read time stays); False if no such message for the recipient."""
        result = await self.collection.update_one(
            {"_id": message_key, "recipient": recipient, "read_at": None},
            {"$set": {"read_at": at}},
        )
        if result.matched_count == 1:
            return True
        found = await self.collection.count_documents(
            {"_id": message_key, "recipient": recipient}, limit=1
        )
        return found > 0
