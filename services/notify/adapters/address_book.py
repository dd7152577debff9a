"""Where a recipient is reached on a push channel: residents from their case's contact,
staff from configuration (until the directory carries staff contacts)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from services.notify.adapters.resident_contacts import ResidentContacts
from services.notify.domain.delivery import PushChannel
from shared.mongo import Document


class AddressBook:
    def __init__(
        self,
        *,
        staff: Mapping[PushChannel, Mapping[str, str]],
        residents: ResidentContacts,
    ) -> None:
        self._staff = staff
        self._residents = residents

    async def address(self, recipient: str, channel: PushChannel, *, now: datetime) -> str | None:
        audience, _, key = recipient.partition(":")
        if audience == "case":
            return await self._residents.address(key, channel, now=now)
        return self._staff.get(channel, {}).get(recipient)

    def address_in(
        self,
        recipient: str,
        channel: PushChannel,
        *,
        residents: Mapping[str, Document],
        now: datetime,
    ) -> str | None:
        """As `address`, with the residents' records already read (`ResidentContacts.stored`)."""
        audience, _, key = recipient.partition(":")
        if audience == "case":
            return self._residents.address_of(key, residents.get(key), channel, now=now)
        return self._staff.get(channel, {}).get(recipient)
