"""notify's copy of residents' contacts on the real store: a polled batch is one write, and an
erased resident's contact read again stays erased."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pymongo import AsyncMongoClient, monitoring

from services.notify.adapters.erasure import ContactErasure
from services.notify.adapters.resident_contacts import ResidentContacts
from services.notify.handlers.resident_contacts import on_resident_contacts
from shared.dispatch import Event
from shared.events.envelope import Envelope
from shared.events.resident_events import ResidentContactGiven
from shared.mongo import Document
from tests.conftest import PlumbingSettings


def given(
    case_id: str, phone: str, *, supporter_id: str | None = None
) -> Event[ResidentContactGiven]:
    data = ResidentContactGiven(
        case_id=case_id,
        phone=phone,
        email=None,
        language="zh",
        given_at=datetime.now(UTC),
        supporter_id=supporter_id,
    )
    envelope = Envelope.wrap(data, source="test", subject=case_id, correlation_id="c-" + case_id)
    return Event.of(envelope, data)


class _Writes(monitoring.CommandListener):
    def __init__(self) -> None:
        self.updates = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.updates += event.command_name == "update"

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_a_batch_of_contacts_is_one_write_and_an_erased_resident_stays_erased(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    writes = _Writes()
    watched: AsyncMongoClient[Document] = AsyncMongoClient(
        settings.mongo_url, event_listeners=[writes]
    )
    try:
        db = watched[settings.database_name]
        contacts = ResidentContacts(db, wait_s=5)
        await contacts.ensure_indexes()
        erased, changed, kept, followed = (str(uuid.uuid4()) for _ in range(4))
        supporter = str(uuid.uuid4())
        await ContactErasure(db).erase(erased, scope="contact", at=datetime.now(UTC))
        writes.updates = 0
        batch = [
            given(erased, "13800000001"),  # read again after the erasure
            given(changed, "13800000002"),
            given(kept, "13800000003"),
            given(changed, "13800000004"),  # the later of two for one resident wins
            given(followed, "13800000005", supporter_id=supporter),
        ]
        await on_resident_contacts(batch, contacts=contacts)
        assert writes.updates == 1
        await on_resident_contacts(batch, contacts=contacts)  # redelivered whole, as uncommitted

        stored = {d["_id"]: d for d in await contacts.collection.find({}).to_list()}
        assert "contact" not in stored[erased] and stored[erased]["has_contact"] is False
        assert stored[changed]["contact"]["phone"] == "13800000004"
        assert stored[kept]["contact"]["phone"] == "13800000003"
        assert stored[supporter]["follows"] == followed
        assert stored[supporter]["contact"]["phone"] == "13800000005"
        assert followed not in stored
    finally:
        await watched.close()
