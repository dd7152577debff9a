"""Push deliveries (email, SMS, IM): one document per notification id, the queue the channel
workers drain.

The consumer only inserts them (`pending`, due now or at the end of quiet hours); a redelivered
event finds its documents there (duplicate `_id`) and adds nothing. A worker claims due
documents of its channel with a lease (so replicas never send the same one at once), sends,
and then, still holding the lease, marks the outcome in one write together with its
`notification.sent` / `notification.failed` event (outbox):

    pending ──claim──▶ pending + lease ──ok──▶ sent
                           │ transient ──▶ pending, next_attempt_at = now + backoff
                           └ permanent (or out of attempts) ──▶ failed

A claim moves the delivery's next attempt to the end of its lease, so the queue (a sparse index
of `next_attempt_at`, which sent and failed deliveries lack) holds only what is due or out. A
worker that dies mid-send leaves the lease to expire and the delivery is sent again with the
same notification id: the gateway's `Idempotency-Key` and the email's Message-ID let the far
end recognise the resend.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.notify.domain.delivery import PushChannel
from services.notify.domain.messages import Notification
from services.notify.domain.templates import Language
from shared.events.envelope import Envelope
from shared.mongo import Document, find_in, insert_new
from shared.outbox import ensure_outbox_index, queue_events
from shared.topics import NOTIFICATION_EVENTS

PENDING = "pending"
SENT = "sent"
FAILED = "failed"


class Delivery(BaseModel):
    """A claimed delivery, as the worker needs it."""

    model_config = ConfigDict(frozen=True)

    id: str
    channel: PushChannel
    recipient: str
    address: str
    title: str
    body: str
    language: Language
    urgent: bool
    case_id: str
    cause_event_id: str
    correlation_id: str
    attempts: int
    lease: str


@dataclass(frozen=True)
class QueuedPush:
    key: str
    channel: PushChannel
    notification: Notification
    address: str
    case_id: str
    cause_event_id: str
    correlation_id: str
    due: datetime
    at: datetime


class DeliveryRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = db["deliveries"]

    async def ensure_indexes(self) -> None:
        existing = await self.collection.index_information()
        if "channel_1_state_1_next_attempt_at_1" in existing:
            await self.collection.drop_index("channel_1_state_1_next_attempt_at_1")
        # Sent and failed deliveries have no next attempt: a sparse index holds only the queue.
        await self.collection.create_index("next_attempt_at", name="queued", sparse=True)
        await self.collection.create_index("case_id")
        await ensure_outbox_index(self.collection)

    async def add_many(self, queued: Sequence[QueuedPush]) -> set[str]:
        """Queue pushes in one write; returns the keys queued now (the rest were queued)."""
        return await insert_new(
            self.collection,
            [
                {
                    "_id": q.key,
                    "channel": q.channel,
                    "recipient": q.notification.recipient,
                    "address": q.address,
                    "title": q.notification.title,
                    "body": q.notification.body,
                    "language": q.notification.language,
                    "urgent": q.notification.urgent,
                    "case_id": q.case_id,
                    "cause_event_id": q.cause_event_id,
                    "correlation_id": q.correlation_id,
                    "state": PENDING,
                    "attempts": 0,
                    "next_attempt_at": q.due,
                    "created_at": q.at,
                }
                for q in queued
            ],
        )

    async def claim_due(
        self, channel: PushChannel, *, now: datetime, lease_s: float, limit: int
    ) -> list[Delivery]:
        """Up to `limit` due deliveries of the channel, leased to the caller; counts an attempt.

        Reads the queue through its sparse index only (every filter a range on the queue's
        field or `_id`): the local store would scan for a top-level `$or`.
        """
        queued = (
            await self.collection.find(
                {"next_attempt_at": {"$lte": now}, "channel": channel}, {"_id": 1}
            )
            .sort("next_attempt_at", 1)
            .limit(limit)
            .to_list()
        )
        if not queued:
            return []
        token = uuid.uuid4().hex
        until = now + timedelta(seconds=lease_s)
        ids = [d["_id"] for d in queued]
        await self.collection.update_many(
            # The lease also moves the next attempt to its end: a claimed delivery is not due
            # while it is out, and is due again exactly when an abandoned lease expires.
            {"_id": {"$in": ids}, "state": PENDING, "next_attempt_at": {"$lte": now}},
            {
                "$set": {
                    "lease": {"until": until, "by": token},
                    "next_attempt_at": until,
                    "last_attempt_at": now,
                },
                "$inc": {"attempts": 1},
            },
        )
        claimed = await find_in(self.collection, "_id", ids, {"outbox": 0})
        return [
            Delivery(id=d["_id"], lease=token, **{k: d[k] for k in _DELIVERY_FIELDS})
            for d in claimed
            if (d.get("lease") or {}).get("by") == token
        ]

    async def mark_sent(self, delivery: Delivery, *, at: datetime, event: Envelope) -> bool:
        return await self._finish(
            delivery,
            queue_events(
                {
                    "$set": {"state": SENT, "sent_at": at},
                    "$unset": {"lease": "", "next_attempt_at": ""},
                },
                [event],
                topic=NOTIFICATION_EVENTS,
            ),
        )

    async def mark_failed(
        self, delivery: Delivery, *, at: datetime, error: str, event: Envelope
    ) -> bool:
        return await self._finish(
            delivery,
            queue_events(
                {
                    "$set": {"state": FAILED, "failed_at": at, "last_error": error},
                    "$unset": {"lease": "", "next_attempt_at": ""},
                },
                [event],
                topic=NOTIFICATION_EVENTS,
            ),
        )

    async def retry_later(self, delivery: Delivery, *, at: datetime, error: str) -> bool:
        return await self._finish(
            delivery,
            {"$set": {"next_attempt_at": at, "last_error": error}, "$unset": {"lease": ""}},
        )

    async def _finish(self, delivery: Delivery, update: Document) -> bool:
        # Only while the lease is ours: a worker that lost it (it expired mid-send and another
        # claimed the delivery) records nothing; the other one's outcome counts.
        result = await self.collection.update_one(
            {"_id": delivery.id, "state": PENDING, "lease.by": delivery.lease}, update
        )
        return result.modified_count == 1

    async def get(self, key: str) -> Document | None:
        return await self.collection.find_one({"_id": key}, {"outbox": 0})

    async def for_case(self, case_id: str) -> list[Document]:
        return await self.collection.find({"case_id": case_id}, {"outbox": 0}).to_list()


_DELIVERY_FIELDS = (
    "channel",
    "recipient",
    "address",
    "title",
    "body",
    "language",
    "urgent",
    "case_id",
    "cause_event_id",
    "correlation_id",
    "attempts",
)
