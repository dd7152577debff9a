"""notify's copy of residents' contacts on the real store: a polled batch is one write, and an
erased resident's contact read again stays erased."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.notify.adapters.erasure import ContactErasure
from services.notify.adapters.resident_contacts import ResidentContacts
from services.notify.handlers.resident_contacts import on_resident_contacts
from shared.dispatch import Event
from shared.events.envelope import Envelope
from shared.events.resident_events import ResidentContactGiven
from tests.conftest import PlumbingSettings
from tests.store_commands import CommandCounter, counting


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


async def test_a_batch_of_contacts_is_one_write_and_an_erased_resident_stays_erased(
    settings: PlumbingSettings,
) -> None:
    writes = CommandCounter("update")
    async with counting(settings.mongo_url, writes) as client:
        db = client[settings.database_name]
        contacts = ResidentContacts(db, wait_s=5)
        await contacts.ensure_indexes()
        erased, changed, kept, followed = (str(uuid.uuid4()) for _ in range(4))
        supporter = str(uuid.uuid4())
        await ContactErasure(db).erase(erased, scope="contact", at=datetime.now(UTC))
        writes.count = 0
        batch = [
            given(erased, "13800000001"),  # read again after the erasure
            given(changed, "13800000002"),
            given(kept, "13800000003"),
            given(changed, "13800000004"),  # the later of two for one resident wins
            given(followed, "13800000005", supporter_id=supporter),
        ]
        await on_resident_contacts(batch, contacts=contacts)
        assert writes.count == 1
        await on_resident_contacts(batch, contacts=contacts)  # redelivered whole, as uncommitted

        stored = {d["_id"]: d for d in await contacts.collection.find({}).to_list()}
        assert "contact" not in stored[erased] and stored[erased]["has_contact"] is False
        assert stored[changed]["contact"]["phone"] == "13800000004"
        assert stored[kept]["contact"]["phone"] == "13800000003"
        assert stored[supporter]["follows"] == followed
        assert stored[supporter]["contact"]["phone"] == "13800000005"
        assert followed not in stored
