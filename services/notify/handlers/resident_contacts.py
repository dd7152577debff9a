"""Residents' contacts reach notify (on the private `resident-contacts` topic): one write for
a polled batch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from services.notify.adapters.resident_contacts import GivenContact, ResidentContacts
from shared.dispatch import Event
from shared.events.resident_events import ResidentContactGiven


async def on_resident_contacts(
    events: Sequence[Event[ResidentContactGiven]], *, contacts: ResidentContacts
) -> None:
    await contacts.record(
        [
            # A supporter ("me too") is kept under their own id, following the case.
            GivenContact(
                key=event.data.supporter_id or event.data.case_id,
                phone=event.data.phone,
                email=event.data.email,
                language=event.data.language,
                follows=event.data.case_id if event.data.supporter_id else None,
            )
            for event in events
        ],
        at=datetime.now(UTC),
    )
