"""Erasing a resident's data from notify's store: their contact, the addresses and texts of the
pushes of their case, and the inbox messages about it.

The mark that a case's resident was erased lives on the case's `resident_contacts` document
(`erased`), in place of the contact: recording a contact is guarded by it in the same document
(ResidentContacts.record), so a contact record read after the erasure (a lagging or replayed
`resident-contacts` consumer, before compaction dropped it) is refused, and erasing again
changes nothing.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.events.case_events import ErasureScope
from shared.mongo import Document

ERASED = "[erased]"
CANCELLED = "cancelled"
"""A push to a resident whose contact was erased before it went out: it never will."""


def resident(case_id: str) -> str:
    """The recipient a case's resident is addressed as (domain.rules)."""
    return f"case:{case_id}"


class ContactErasure:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.contacts: AsyncCollection[Document] = db["resident_contacts"]
        self.deliveries: AsyncCollection[Document] = db["deliveries"]
        self.inbox: AsyncCollection[Document] = db["inbox"]

    async def ensure_indexes(self) -> None:
        # The inbox is read by recipient; an erasure finds a case's messages by this one.
        await self.inbox.create_index("case_id")

    async def erase(
        self,
        case_id: str,
        *,
        scope: ErasureScope,
        at: datetime,
        supporter_id: str | None = None,
    ) -> None:
        """Idempotent: the first erasure's mark and time stay; every other write sets what an
        erasure leaves, whatever was there.

        With `supporter_id`, the "me too" supporter of the case (their own document, and the
        pushes of the case addressed to them) instead of the case's resident."""
        who = supporter_id or case_id
        # Erased before, the upsert finds the document marked and fails to add a second one:
        # its contact is gone already, and the first erasure's time stays.
        with contextlib.suppress(DuplicateKeyError):
            await self.contacts.update_one(
                {"_id": who, "erased": {"$exists": False}},
                {
                    "$set": {"erased": {"at": at}, "has_contact": False},
                    "$setOnInsert": {"noted_at": at},
                    "$unset": {"contact": ""},
                },
                upsert=True,
            )
        # `all` wins over `contact`, whichever came first.
        await self.contacts.update_one(
            {"_id": who} if scope == "all" else {"_id": who, "erased.scope": None},
            {"$set": {"erased.scope": scope}},
        )
        # The resident's pushes: no address left, and those not sent yet never will be. A
        # supporter's are the case's pushes addressed to them (`case:<supporter id>`).
        await self.deliveries.update_many(
            {"case_id": case_id, "recipient": resident(who), "state": "pending"},
            {
                "$set": {"state": CANCELLED, "cancelled_at": at},
                "$unset": {"next_attempt_at": "", "lease": ""},
            },
        )
        await self.deliveries.update_many(
            {"case_id": case_id, "recipient": resident(who)},
            {"$set": {"address": ERASED, "last_error": None}},
        )
        if scope == "all":
            # Every text about the case may quote the resident (their answers, the response).
            await self.deliveries.update_many({"case_id": case_id}, {"$set": {"body": ERASED}})
            await self.inbox.update_many({"case_id": case_id}, {"$set": {"body": ERASED}})
