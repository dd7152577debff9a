"""notify in process on the real store and broker: case events in, inbox messages out."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from services.notify.app import create_app
from services.notify.settings import NotifySettings
from shared.events.case_events import CaseAssigned, CaseClosed, CaseEscalated, CaseResponded
from shared.events.envelope import Envelope, EventData
from shared.topics import CASE_EVENTS, NOTIFICATION_EVENTS
from tests.conftest import PlumbingSettings
from tests.integration.in_process import serving
from tests.kafka_tools import read_topic
from tests.tokens import bearer, publish_test_accounts

AT = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


@pytest.fixture
async def notify(settings: PlumbingSettings) -> AsyncIterator[httpx.AsyncClient]:
    await publish_test_accounts(settings)
    app = create_app(
        NotifySettings(
            kafka_bootstrap=settings.kafka_bootstrap,
            mongo_url=settings.mongo_url,
            namespace=settings.namespace,
            outbox_poll_seconds=0.1,
        )
    )
    async with serving(app, "notify") as client:
        # An admin reads every inbox; who else may is tests/integration/test_access_rules.py's.
        client.headers.update(bearer("admin"))
        yield client


def wrap(event: EventData, case_id: str) -> Envelope:
    return Envelope.wrap(event, source="minyi/routing", subject=case_id, correlation_id="corr-1")


async def publish(settings: PlumbingSettings, envelopes: Sequence[Envelope]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    try:
        for envelope in envelopes:
            await producer.send_and_wait(
                settings.topic(CASE_EVENTS), envelope.to_bytes(), key=envelope.subject.encode()
            )
    finally:
        await producer.stop()


async def inbox(client: httpx.AsyncClient, recipient: str) -> dict[str, Any]:
    response = await client.get(f"/v1/inbox/{recipient}")
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def until_delivered(client: httpx.AsyncClient, counts: dict[str, int]) -> None:
    for _ in range(300):
        found = {r: len((await inbox(client, r))["messages"]) for r in counts}
        if all(found[r] >= n for r, n in counts.items()):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"inboxes never filled: wanted {counts}, found {found}")


def assigned(case_id: str, representative_code: str | None) -> CaseAssigned:
    return CaseAssigned(
        case_id=case_id,
        category="parking",
        station_id="xijie",
        station_name="西街联络站",
        representative_code=representative_code,
        reason="qr: representative 0412" if representative_code else "station queue",
        assigned_at=AT,
    )


async def test_each_recipient_gets_one_message_per_event_even_when_events_are_redelivered(
    notify: httpx.AsyncClient, settings: PlumbingSettings
) -> None:
    held, queued = uuid.uuid4().hex, uuid.uuid4().hex
    events = [
        wrap(assigned(held, "0412"), held),
        wrap(assigned(queued, None), queued),
        wrap(
            CaseResponded(
                case_id=held,
                station_id="xijie",
                actor_role="staff",
                actor_id="li",
                at=AT,
                response="已在东侧增设20个车位。",
            ),
            held,
        ),
        wrap(
            CaseEscalated(
                case_id=queued,
                station_id="xijie",
                actor_role="system",
                at=AT,
                deadline="accept",
                due_at=AT,
            ),
            queued,
        ),
    ]
    await publish(settings, events)
    await until_delivered(
        notify,
        {
            "representative:0412": 1,
            "station:xijie": 1,
            f"case:{held}": 1,
            "station_head:xijie": 1,
        },
    )

    representative = await inbox(notify, "representative:0412")
    assert representative["unread"] == 1
    [new_case] = representative["messages"]
    assert (new_case["case_id"], new_case["title"]) == (held, "新的意见建议（parking）")
    assert new_case["body"].endswith("分派原因：qr: representative 0412")
    assert not new_case["urgent"]

    [queue] = (await inbox(notify, "station:xijie"))["messages"]
    assert queue["case_id"] == queued
    assert "分派给西街联络站" in queue["body"]

    [answer] = (await inbox(notify, f"case:{held}"))["messages"]
    assert answer["title"] == "您的意见建议已有答复"
    assert answer["body"].startswith("已在东侧增设20个车位。")

    [escalation] = (await inbox(notify, "station_head:xijie"))["messages"]
    assert escalation["case_id"] == queued
    assert escalation["urgent"]
    assert escalation["title"] == "【督办】意见建议超时未受理"

    # The same events again, then a closing event per case (same key, so handled after them).
    await publish(settings, events)
    closed = [
        wrap(CaseClosed(case_id=c, station_id="xijie", actor_role="staff", at=AT), c)
        for c in (held, queued)
    ]
    await publish(settings, closed)
    await until_delivered(notify, {f"case:{held}": 2, f"case:{queued}": 1})

    for recipient in ("representative:0412", "station:xijie", "station_head:xijie"):
        assert len((await inbox(notify, recipient))["messages"]) == 1, recipient
    assert len((await inbox(notify, f"case:{held}"))["messages"]) == 2

    records = await read_topic(
        settings.kafka_bootstrap, settings.topic(NOTIFICATION_EVENTS), expect=6
    )
    sent = [Envelope.from_bytes(r.value) for r in records]
    assert {e.type for e in sent} == {"notification.sent"}
    assert len({e.data["notification_id"] for e in sent}) == 6


async def test_a_template_preview_renders_in_either_language(notify: httpx.AsyncClient) -> None:
    body = {
        "event_type": "case.assigned",
        "audience": "station",
        "data": {"category": "parking", "station_name": "西街联络站", "reason": "queue"},
    }

    zh = await notify.post("/v1/templates/preview", json=body)
    en = await notify.post("/v1/templates/preview", json={**body, "language": "en"})

    assert zh.status_code == 200
    assert zh.json() == {
        "title": "新的意见建议（parking）",
        "body": "一件新的意见建议已分派给西街联络站，请及时受理。分派原因：queue",
    }
    assert en.status_code == 200
    assert en.json()["title"] == "New opinion (parking)"


async def test_a_preview_with_missing_data_or_no_template_is_refused_field_by_field(
    notify: httpx.AsyncClient,
) -> None:
    missing = await notify.post(
        "/v1/templates/preview",
        json={"event_type": "case.assigned", "audience": "station", "data": {"category": "x"}},
    )
    unknown = await notify.post(
        "/v1/templates/preview", json={"event_type": "case.submitted", "audience": "case"}
    )
    language = await notify.post(
        "/v1/templates/preview",
        json={"event_type": "case.closed", "audience": "case", "language": "fr"},
    )

    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["detail"]] == ["data.station_name", "data.reason"]
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["detail"]] == ["audience"]
    assert language.status_code == 422
    assert [e["field"] for e in language.json()["detail"]] == ["language"]
