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
        # A supporter ("me too") is kept under their own id, following the case.
        await contacts.record(
            given.supporter_id or given.case_id,
            phone=given.phone,
            email=given.email,
            language=given.language,
            at=datetime.now(UTC),
            follows=given.case_id if given.supporter_id else None,
        )
