"""One document per email notification, keyed `<event id>:<recipient>:email`.

States: "sending" (claimed, maybe being sent, maybe interrupted), "sent", "failed" (permanent,
no further attempts). The record is written BEFORE the SMTP conversation and marked "sent"
after it, together with its `notification.sent` event (outbox). A crash or store outage
between the relay accepting the message and the "sent" write leaves "sending", so the
redelivered event sends again: email is at-least-once, and a resend carries the same
Message-ID so mail clients and people can recognise it. Exactly-once is impossible here,
since SMTP has no way to ask the relay whether it already took a message.
"""

from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.events.envelope import Envelope
from shared.mongo import Document
from shared.outbox import ensure_outbox_index, queue_events
from shared.topics import NOTIFICATION_EVENTS

SENDING = "sending"
SENT = "sent"
FAILED = "failed"
FINAL = (SENT, FAILED)


class EmailDeliveries:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = db["email_deliveries"]

    async def ensure_indexes(self) -> None:
        await ensure_outbox_index(self.collection)

    async def begin(
        self,
        key: str,
        *,
        recipient: str,
        address: str,
        case_id: str,
        cause_event_id: str,
        at: datetime,
    ) -> bool:
        """Record an attempt ("sending"); False if this email is already sent or failed."""
        try:
            await self.collection.update_one(
                {"_id": key, "state": {"$nin": list(FINAL)}},
                {
                    "$set": {"state": SENDING, "attempted_at": at},
                    "$inc": {"attempts": 1},
                    "$setOnInsert": {
                        "recipient": recipient,
                        "address": address,
                        "case_id": case_id,
                        "cause_event_id": cause_event_id,
                        "created_at": at,
                    },
                },
                upsert=True,
            )
        except DuplicateKeyError:
            # The document exists in a final state, so the upsert tried to insert a twin.
            return False
        return True

    async def mark_sent(self, key: str, *, at: datetime, event: Envelope) -> None:
        await self.collection.update_one(
            {"_id": key},
            queue_events(
                {"$set": {"state": SENT, "sent_at": at}, "$unset": {"last_error": ""}},
                [event],
                topic=NOTIFICATION_EVENTS,
            ),
        )

    async def mark_failed(self, key: str, *, at: datetime, error: str, event: Envelope) -> None:
        await self.collection.update_one(
            {"_id": key},
            queue_events(
                {"$set": {"state": FAILED, "failed_at": at, "last_error": error}},
                [event],
                topic=NOTIFICATION_EVENTS,
            ),
        )

    async def note_retry(self, key: str, *, error: str) -> None:
        await self.collection.update_one({"_id": key}, {"$set": {"last_error": error}})

    async def get(self, key: str) -> Document | None:
        return await self.collection.find_one({"_id": key})
