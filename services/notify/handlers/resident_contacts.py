"""A resident's contact reaches notify (on the private `resident-contacts` topic)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from services.notify.adapters.resident_contacts import ResidentContacts
from shared.dispatch import Event
from shared.events.resident_events import ResidentContactGiven


async def on_resident_contacts(
    events: Sequence[Event[ResidentContactGiven]], *, contacts: ResidentContacts
) -> None:
    for event in events:
        given = event.data
        await contacts.record(
            given.case_id,
            phone=given.phone,
            email=given.email,
            language=given.language,
            at=datetime.now(UTC),
        )
