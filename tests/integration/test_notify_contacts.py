"""The resident's contact travels from intake to notify on the private `resident-contacts`
topic only, and is what notify texts and emails, in the language the resident submitted in:
intake and notify in process, with a real local gateway and SMTP server."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from typing import Any

import httpx

from shared.case_keys import CaseKeys
from shared.events.envelope import Envelope
from shared.mongo import create_client
from shared.sealing import cases_of, is_sealed, open_envelope
from shared.topics import CASE_EVENTS, RESIDENT_CONTACTS
from shared.web.i18n import LANGUAGE_COOKIE
from tests.conftest import PlumbingSettings
from tests.integration.gateway_receiver import GatewayReceiver
from tests.integration.test_intake_api import CASE, intake
from tests.integration.test_notify_email import Collector
from tests.integration.test_notify_gateway import (
    accepted,
    collector,
    gateway,
    holds,
    notify_settings,
    publish,
    running,
    smtp_port,
    token,
)
from tests.kafka_tools import read_topic
from tests.tokens import publish_test_accounts

__all__ = ["collector", "gateway", "intake", "smtp_port"]  # fixtures used below


async def opened(settings: PlumbingSettings, values: list[bytes]) -> list[dict[str, Any]]:
    """The contact records' data, opened with intake's copy of the case keys (the phone and
    email travel sealed, shared.sealing)."""
    envelopes = [Envelope.from_bytes(value) for value in values]
    assert all(is_sealed(e.data["phone"]) for e in envelopes)
    client = create_client(settings)
    try:
        keys = CaseKeys(client[f"{settings.namespace}_minyi_intake"])
        found = await keys.lookup(cases_of(envelopes))
    finally:
        await client.close()
    return [open_envelope(e, found).data for e in envelopes]


async def test_notify_reaches_the_resident_with_the_contact_intake_collected_in_their_language(
    intake: httpx.AsyncClient,
    settings: PlumbingSettings,
    gateway: GatewayReceiver,
    smtp_port: int,
    collector: Collector,
) -> None:
    chinese = {"name": "王阿姨", "phone": "+86 138 0000 1234", "email": "wang@example.cn"}
    english = {"phone": "+86 138 0000 5678", "email": "lee@example.cn", "language": "en"}
    # Submitted through the English page, and an admin set the case's inbox to Chinese: the
    # preference wins.
    overridden = {"phone": "+86 138 0000 9012", "email": "zhao@example.cn"}
    contacts = (chinese, english, overridden)
    await publish_test_accounts(settings, ["root"])  # as routing publishes its own
    async with running(notify_settings(settings, gateway, smtp_port)) as notify:
        for contact in (chinese, english):
            response = await intake.post("/v1/cases", json={**CASE, "contact": contact})
            assert response.status_code == 202
        page = await intake.post(
            "/new",
            data={
                "category": CASE["category"],
                "text": CASE["text"],
                "contact_phone": overridden["phone"],
                "contact_email": overridden["email"],
                "consent": "yes",
                "submission_id": f"page:{uuid.uuid4().hex}",
            },
            headers={"Cookie": f"{LANGUAGE_COOKIE}=en"},
        )
        assert page.status_code == 303
        given = await opened(
            settings,
            [
                record.value
                for record in await read_topic(
                    settings.kafka_bootstrap, settings.topic(RESIDENT_CONTACTS), expect=3
                )
            ],
        )
        case_of = {data["phone"]: data["case_id"] for data in given}
        preference = await notify.put(
            f"/v1/preferences/case:{case_of[overridden['phone']]}",
            json={"language": "zh"},
            headers=token("admin", "root"),
        )
        assert preference.status_code == 200
        # What routing would publish once the representative accepts each case.
        await publish(settings, [(CASE_EVENTS, accepted(case_id)) for case_id in case_of.values()])
        await holds(lambda: len(gateway.delivered) == 3, "the SMS")
        await holds(lambda: len(collector.messages) == 3, "the emails")
        events = await read_topic(settings.kafka_bootstrap, settings.topic(CASE_EVENTS), expect=6)

    by_phone = {data["phone"]: data for data in given}
    assert by_phone[chinese["phone"]] == {
        "case_id": case_of[chinese["phone"]],
        "phone": "+86 138 0000 1234",
        "email": "wang@example.cn",
        "language": "zh",  # the default when the submission names none
        "given_at": by_phone[chinese["phone"]]["given_at"],
        "supporter_id": None,  # the submitter's own contact, not a "me too" supporter's
    }
    # The API's default, the API's "en", and the English page.
    assert [by_phone[c["phone"]]["language"] for c in contacts] == ["zh", "en", "en"]
    assert not any("王阿姨" in str(data) for data in given)  # the minimum: no name
    for record in events:
        for contact in contacts:
            for secret in (contact["phone"], contact["email"]):
                assert secret.encode() not in record.value
    sms = {message["to"]: message for message in gateway.delivered.values()}
    emails = {rcpt[0]: message for rcpt, message in collector.messages}
    for contact, title in (
        (chinese, "您的意见建议已受理"),
        (english, "Your opinion has been accepted"),
        (overridden, "您的意见建议已受理"),
    ):
        assert sms[contact["phone"]]["title"] == title
        assert emails[contact["email"]]["Subject"] == title
    english_words = "A people's congress representative has accepted your opinion"
    assert english_words in sms[english["phone"]]["text"]
    assert english_words in plain_text(emails[english["email"]])
    assert sms[english["phone"]]["language"] == "en"
    assert "人大代表已受理您的意见建议" in sms[chinese["phone"]]["text"]
    assert "人大代表已受理您的意见建议" in plain_text(emails[chinese["email"]])


def plain_text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    text: str = part.get_content()
    return text
