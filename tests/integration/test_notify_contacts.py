"""The resident's contact travels from intake to notify on the private `resident-contacts`
topic only, and is what notify texts and emails: intake and notify in process, with a real
local gateway and SMTP server."""

from __future__ import annotations

import httpx

from shared.events.envelope import Envelope
from shared.topics import CASE_EVENTS, RESIDENT_CONTACTS
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
)
from tests.kafka_tools import read_topic

__all__ = ["collector", "gateway", "intake", "smtp_port"]  # fixtures used below


async def test_notify_reaches_the_resident_with_the_contact_intake_collected(
    intake: httpx.AsyncClient,
    settings: PlumbingSettings,
    gateway: GatewayReceiver,
    smtp_port: int,
    collector: Collector,
) -> None:
    contact = {"name": "王阿姨", "phone": "+86 138 0000 1234", "email": "wang@example.cn"}
    async with running(notify_settings(settings, gateway, smtp_port)):
        response = await intake.post("/v1/cases", json={**CASE, "contact": contact})
        assert response.status_code == 202
        case_id = response.json()["case_id"]
        [given] = await read_topic(
            settings.kafka_bootstrap, settings.topic(RESIDENT_CONTACTS), expect=1
        )
        # What routing would publish once the representative accepts the case.
        await publish(settings, [(CASE_EVENTS, accepted(case_id))])
        await holds(lambda: len(gateway.delivered) == 1, "the SMS")
        await holds(lambda: len(collector.messages) == 1, "the email")
        events = await read_topic(settings.kafka_bootstrap, settings.topic(CASE_EVENTS), expect=2)

    assert Envelope.from_bytes(given.value).data == {
        "case_id": case_id,
        "phone": "+86 138 0000 1234",
        "email": "wang@example.cn",
        "given_at": Envelope.from_bytes(given.value).data["given_at"],
    }
    assert "王阿姨".encode() not in given.value  # the minimum: no name
    for record in events:
        for secret in contact.values():
            assert secret.encode() not in record.value
    [sms] = gateway.delivered.values()
    assert (sms["to"], sms["title"]) == ("+86 138 0000 1234", "您的意见建议已受理")
    [(rcpt, _)] = collector.messages
    assert rcpt == ["wang@example.cn"]
