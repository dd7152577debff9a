"""How to reach the resident of a case: notify's copy of the minimum intake collected.

Two sources fill one document per case: `case.submitted` (on `case-events`) says whether the
resident gave a contact at all, and `resident.contact_given` (on the private
`resident-contacts` topic) says what it is and the language the resident submitted in. The
two topics are read independently, so the second can lag the first: `ContactPending` tells
the caller to try again shortly.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.notify.domain.delivery import PushChannel
from services.notify.domain.templates import DEFAULT_LANGUAGE, Language
from shared.errors import TransientError
from shared.mongo import Document


class ContactPending(TransientError):
    """The resident gave a contact that has not reached notify yet."""


class ResidentContacts:
    def __init__(self, db: AsyncDatabase[Document], *, wait_s: float) -> None:
        self.collection: AsyncCollection[Document] = db["resident_contacts"]
        self.wait = timedelta(seconds=wait_s)

    async def note_submitted(self, case_id: str, *, has_contact: bool, at: datetime) -> None:
        await self.collection.update_one(
            {"_id": case_id},
            {"$setOnInsert": {"noted_at": at}, "$set": {"has_contact": has_contact}},
            upsert=True,
        )

    async def record(
        self,
        case_id: str,
        *,
        phone: str | None,
        email: str | None,
        language: Language,
        at: datetime,
    ) -> None:
        contact = {"phone": phone, "email": email, "language": language}
        await self.collection.update_one(
            {"_id": case_id},
            {"$setOnInsert": {"noted_at": at}, "$set": {"has_contact": True, "contact": contact}},
            upsert=True,
        )

    async def language(self, case_id: str) -> Language | None:
        """The language the resident submitted in; None until their contact is here."""
        found = await self.collection.find_one({"_id": case_id}, {"contact": 1})
        contact: Document | None = found.get("contact") if found else None
        if contact is None:
            return None
        # Contacts recorded before residents had a language were all written to in Chinese.
        language: Language = contact.get("language", DEFAULT_LANGUAGE)
        return language

    async def address(self, case_id: str, channel: PushChannel, *, now: datetime) -> str | None:
        """The resident's phone (sms) or email (email); None if they gave none for it.

        Raises `ContactPending` while a contact is expected but not here, for at most
        `wait_s` after the case was submitted; then the case is treated as without one, so
        a lost contact record cannot hold notify's consumer for ever.
        """
        found = await self.collection.find_one({"_id": case_id})
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
