"""How to reach the resident of a case: notify's copy of the minimum intake collected.

Two sources fill one document per case: `case.submitted` (on `case-events`) says whether the
resident gave a contact at all, and `resident.contact_given` (on the private
`resident-contacts` topic) says what it is and the language the resident submitted in. The
two topics are read independently, so the second can lag the first: `ContactPending` tells
the caller to try again shortly.

A resident may also follow another case (`follows`): the resident of a case merged into it
(from `case.merged`), or a resident who said "me too" (a supporter: their contact arrives with
a `supporter_id`, and their document is keyed by it). They hear that case's answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo import UpdateMany, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from services.notify.domain.delivery import PushChannel
from services.notify.domain.templates import DEFAULT_LANGUAGE, Language
from shared.errors import TransientError
from shared.mongo import Document, find_in, is_duplicate_key


class ContactPending(TransientError):
    """The resident gave a contact that has not reached notify yet."""


@dataclass(frozen=True)
class GivenContact:
    """A contact as `resident.contact_given` carries it. `key`: the case id, or a supporter's
    id; `follows`: a supporter's, the case they said "me too" to."""

    key: str
    phone: str | None
    email: str | None
    language: Language
    follows: str | None = None


class ResidentContacts:
    def __init__(self, db: AsyncDatabase[Document], *, wait_s: float) -> None:
        self.collection: AsyncCollection[Document] = db["resident_contacts"]
        self.wait = timedelta(seconds=wait_s)

    async def ensure_indexes(self) -> None:
        # Who follows a case: only the merged cases and the supporters carry the field.
        await self.collection.create_index("follows", sparse=True)

    async def follow(self, links: Mapping[str, str], *, at: datetime) -> None:
        """Each resident (their case id or supporter id → the case they now follow) follows it,
        and so does whoever followed them: a case merged into a case later merged again leads
        its residents to the last survivor."""
        if not links:
            return
        ops: list[UpdateOne | UpdateMany] = []
        for follower, into in links.items():
            ops.append(UpdateMany({"follows": follower}, {"$set": {"follows": into}}))
            ops.append(
                UpdateOne(
                    {"_id": follower},
                    {"$setOnInsert": {"noted_at": at}, "$set": {"follows": into}},
                    upsert=True,
                )
            )
        await self.collection.bulk_write(ops, ordered=True)

    async def followers(self, case_ids: Iterable[str]) -> dict[str, list[str]]:
        """The residents following each case (case id → their ids), in one read."""
        wanted = sorted(set(case_ids))
        if not wanted:
            return {}
        found: dict[str, list[str]] = {}
        async for d in self.collection.find({"follows": {"$in": wanted}}, {"follows": 1}):
            found.setdefault(str(d["follows"]), []).append(str(d["_id"]))
        return {case_id: sorted(ids) for case_id, ids in found.items()}

    async def note_submitted(self, submitted: Mapping[str, bool], *, at: datetime) -> None:
        """Whether the resident of each case (case id → has contact) left a contact: one write."""
        ops = [
            UpdateOne(
                {"_id": case_id},
                {"$setOnInsert": {"noted_at": at}, "$set": {"has_contact": has_contact}},
                upsert=True,
            )
            for case_id, has_contact in submitted.items()
        ]
        if ops:
            await self.collection.bulk_write(ops, ordered=False)

    async def stored(self, case_ids: Iterable[str]) -> dict[str, Document]:
        """What notify knows of these cases' residents, in one read (absent: nothing yet)."""
        wanted = sorted(set(case_ids))
        if not wanted:
            return {}
        found = await find_in(self.collection, "_id", wanted)
        return {str(d["_id"]): d for d in found}

    async def record(self, given: Sequence[GivenContact], *, at: datetime) -> None:
        """Store the contacts in one write, each unless the resident's data was erased
        (adapters/erasure.py marks the same document): a contact read again after its erasure
        stays erased. Of two contacts for one resident, the later is kept."""
        latest = {contact.key: contact for contact in given}
        ops = []
        for key, contact in latest.items():
            fields: Document = {
                "has_contact": True,
                "contact": {
                    "phone": contact.phone,
                    "email": contact.email,
                    "language": contact.language,
                },
            }
            if contact.follows is not None:
                fields["follows"] = contact.follows
            ops.append(
                UpdateOne(
                    {"_id": key, "erased": {"$exists": False}},
                    {"$setOnInsert": {"noted_at": at}, "$set": fields},
                    upsert=True,
                )
            )
        if not ops:
            return
        try:
            # Unordered: an erased resident's refusal must not stop the others' writes.
            await self.collection.bulk_write(ops, ordered=False)
        except BulkWriteError as exc:
            # An erased document is there: its upsert tried to add a second one. Only that.
            if not is_duplicate_key(exc):
                raise

    async def language(self, case_id: str) -> Language | None:
        return language_of(await self.collection.find_one({"_id": case_id}, {"contact": 1}))

    async def address(self, case_id: str, channel: PushChannel, *, now: datetime) -> str | None:
        found = await self.collection.find_one({"_id": case_id})
        return self.address_of(case_id, found, channel, now=now)

    def address_of(
        self, case_id: str, found: Document | None, channel: PushChannel, *, now: datetime
    ) -> str | None:
        """The resident's phone (sms) or email (email) in their stored record; None if they
        gave none for it.

        Raises `ContactPending` while a contact is expected but not here, for at most
        `wait_s` after the case was submitted; then the case is treated as without one, so
        a lost contact record cannot hold notify's consumer for ever.
        """
        if found is None or not found.get("has_contact"):
            return None
        contact: Document | None = found.get("contact")
        if contact is None:
            if now - found["noted_at"] < self.wait:
                raise ContactPending(f"contact of case {case_id} not received yet")
            return None
        field = {"sms": "phone", "email": "email"}.get(channel)
        value: str | None = contact.get(field) if field else None
        return value


def language_of(found: Document | None) -> Language | None:
    """The language the resident submitted in; None until their contact is here."""
    contact: Document | None = found.get("contact") if found else None
    if contact is None:
        return None
    # Contacts recorded before residents had a language were all written to in Chinese.
    language: Language = contact.get("language", DEFAULT_LANGUAGE)
    return language
