"""notify in process with a real local SMS/IM gateway (uvicorn, HMAC-checking, deduping on
Idempotency-Key) and a real SMTP server: residents hear each step by SMS and email; a dead
gateway delays only its own messages; a refused number is dead-lettered; nothing is sent twice
across redeliveries and restarts; quiet hours hold back what is not urgent."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiosmtpd.controller import Controller
from pymongo import AsyncMongoClient

from services.notify.app import create_app
from services.notify.settings import NotifySettings
from shared.auth import Role, issue_token
from shared.events.case_events import (
    CaseAccepted,
    CaseAssigned,
    CaseClosed,
    CaseEscalated,
    CaseResponded,
    CaseSubmitted,
)
from shared.events.envelope import Envelope, EventData
from shared.events.resident_events import ResidentContactGiven
from shared.mongo import Document
from shared.settings import DEV_JWT_PRIVATE_KEY
from shared.topics import (
    CASE_EVENTS,
    NOTIFICATION_EVENTS,
    NOTIFY_DELIVERIES,
    RESIDENT_CONTACTS,
    dead_letter_topic,
    platform_topics,
)
from tests.conftest import PlumbingSettings
from tests.infra import free_port
from tests.integration.gateway_receiver import GatewayReceiver
from tests.integration.in_process import serving
from tests.integration.test_notify_email import Collector
from tests.kafka_tools import header, read_topic
from tests.tokens import publish_test_accounts

SECRET = b"gateway-secret-for-tests-only-0123456789"
AT = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
T = TypeVar("T")


@pytest.fixture
async def gateway() -> AsyncIterator[GatewayReceiver]:
    receiver = GatewayReceiver(port=free_port(), secret=SECRET)
    await receiver.start()
    yield receiver
    await receiver.stop()


@pytest.fixture
def collector() -> Collector:
    return Collector()


@pytest.fixture
def smtp_port(collector: Collector) -> Iterator[int]:
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    yield port
    controller.stop()


def notify_settings(
    settings: PlumbingSettings, gateway: GatewayReceiver, smtp_port: int, **extra: Any
) -> NotifySettings:
    return NotifySettings(
        kafka_bootstrap=settings.kafka_bootstrap,
        mongo_url=settings.mongo_url,
        namespace=settings.namespace,
        outbox_poll_seconds=0.1,
        consumer_retry_max_seconds=0.5,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_from="minyi@minyi.example",
        smtp_timeout_s=2,
        sms_gateway_url=gateway.url,
        im_gateway_url=gateway.url,
        gateway_secret=SECRET.decode(),
        gateway_timeout_s=1,
        delivery_lease_s=5,
        delivery_backoff_base_s=0.2,
        delivery_backoff_cap_s=1,
        delivery_poll_s=0.2,
        **extra,
    )


@asynccontextmanager
async def running(config: NotifySettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(config)
    async with serving(app, "notify") as client:
        yield client


async def publish(settings: PlumbingSettings, items: Sequence[tuple[str, Envelope]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    try:
        for topic, envelope in items:
            await producer.send_and_wait(
                settings.topic(topic), envelope.to_bytes(), key=envelope.subject.encode()
            )
    finally:
        await producer.stop()


def wrap(event: EventData, case_id: str) -> Envelope:
    return Envelope.wrap(event, source="minyi/test", subject=case_id, correlation_id="corr-g")


def submitted(
    case_id: str, *, phone: str | None = None, email: str | None = None
) -> list[tuple[str, Envelope]]:
    """A new case and, if the resident left one, their contact on the private topic."""
    has_contact = phone is not None or email is not None
    items = [
        (
            CASE_EVENTS,
            wrap(
                CaseSubmitted(
                    case_id=case_id,
                    category="parking",
                    text="小区停车位不足",
                    channel="web",
                    has_contact=has_contact,
                    submitted_at=AT,
                ),
                case_id,
            ),
        )
    ]
    if has_contact:
        contact = ResidentContactGiven(case_id=case_id, phone=phone, email=email, given_at=AT)
        items.insert(0, (RESIDENT_CONTACTS, wrap(contact, case_id)))
    return items


WHO = {"station_id": "xijie", "at": AT}


def accepted(case_id: str) -> Envelope:
    return wrap(
        CaseAccepted(
            case_id=case_id, actor_role="representative", representative_code="0412", **WHO
        ),
        case_id,
    )


def responded(case_id: str) -> Envelope:
    return wrap(
        CaseResponded(case_id=case_id, actor_role="staff", response="已增设20个车位。", **WHO),
        case_id,
    )


def closed(case_id: str) -> Envelope:
    return wrap(CaseClosed(case_id=case_id, actor_role="staff", **WHO), case_id)


async def holds(check: Callable[[], bool], what: str, timeout_s: float = 30) -> None:
    async def probe() -> bool:
        return check()

    await until(probe, what, timeout_s)


async def until(probe: Callable[[], Awaitable[T | None]], what: str, timeout_s: float = 30) -> T:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        found = await probe()
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def deliveries(mongo: AsyncMongoClient[Document], settings: PlumbingSettings) -> Any:
    return mongo[f"{settings.namespace}_minyi_notify"]["deliveries"]


def sms_key(envelope: Envelope, case_id: str) -> str:
    return f"{envelope.id}:case:{case_id}:sms"


def emails_to(collector: Collector, address: str) -> list[str]:
    return [str(m["Subject"]) for rcpt, m in collector.messages if rcpt == [address]]


async def test_a_resident_hears_each_step_by_sms_and_email_through_signed_idempotent_requests(
    settings: PlumbingSettings,
    gateway: GatewayReceiver,
    smtp_port: int,
    collector: Collector,
) -> None:
    both, email_only, anonymous = (uuid.uuid4().hex for _ in range(3))
    phone, address = "+86 138 0000 0001", "resident@example.com"
    steps = {c: [accepted(c), responded(c), closed(c)] for c in (both, email_only, anonymous)}
    async with running(notify_settings(settings, gateway, smtp_port)):
        await publish(
            settings,
            [
                *submitted(both, phone=phone, email=address),
                *submitted(email_only, email="other@example.com"),
                *submitted(anonymous),
                *((CASE_EVENTS, e) for events in steps.values() for e in events),
            ],
        )
        await holds(lambda: len(gateway.delivered) >= 3, "three SMS")
        await holds(lambda: len(collector.messages) >= 6, "six emails")
        records = await read_topic(
            settings.kafka_bootstrap, settings.topic(NOTIFICATION_EVENTS), expect=9 + 6 + 3
        )

    assert all(r.verified for r in gateway.requests)
    assert sorted(gateway.delivered) == sorted(sms_key(e, both) for e in steps[both])
    assert {body["to"] for body in gateway.delivered.values()} == {phone}
    texts = [gateway.delivered[sms_key(e, both)]["title"] for e in steps[both]]
    assert texts == ["您的意见建议已受理", "您的意见建议已有答复", "您的意见建议已办结"]
    # Sent concurrently: several due at once may arrive in any order.
    assert sorted(emails_to(collector, address)) == sorted(texts)
    assert len(emails_to(collector, "other@example.com")) == 3
    channels = sorted(
        Envelope.from_bytes(r.value).data["channel"]
        for r in records
        if Envelope.from_bytes(r.value).type == "notification.sent"
    )
    assert channels == ["email"] * 6 + ["inbox"] * 9 + ["sms"] * 3


async def test_a_dead_gateway_delays_only_its_own_messages_which_arrive_once_it_is_back(
    settings: PlumbingSettings,
    gateway: GatewayReceiver,
    smtp_port: int,
    collector: Collector,
    mongo: AsyncMongoClient[Document],
) -> None:
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    phones = {first: "+86 138 0000 0011", second: "+86 138 0000 0012"}
    store = deliveries(mongo, settings)
    async with running(notify_settings(settings, gateway, smtp_port)):
        before = accepted(first)
        await publish(
            settings,
            [
                *submitted(first, phone=phones[first], email="first@example.com"),
                *submitted(second, phone=phones[second], email="second@example.com"),
                (CASE_EVENTS, before),
            ],
        )
        await holds(lambda: sms_key(before, first) in gateway.delivered, "the first SMS")

        await gateway.stop()  # the gateway dies mid-run
        during = [responded(first), accepted(second)]
        await publish(settings, [(CASE_EVENTS, e) for e in during])
        # Email and the inbox are not held up by the dead gateway.
        await holds(lambda: len(collector.messages) >= 3, "the emails")

        async def retried() -> list[Document] | None:
            found = await store.find({"channel": "sms", "state": "pending"}).to_list()
            return found if len(found) == 2 and all(d["attempts"] >= 3 for d in found) else None

        pending = await until(retried, "several attempts at each SMS")
        assert all("gateway unavailable" in d["last_error"] for d in pending)
        assert all(d["next_attempt_at"] > d["last_attempt_at"] for d in pending)

        await gateway.start()  # back, on the same port
        wanted = {sms_key(during[0], first), sms_key(during[1], second)}
        await holds(lambda: wanted <= set(gateway.delivered), "the delayed SMS")
        sent = await until(lambda: _states(store, "sent", 3), "every SMS marked sent", timeout_s=10)

    assert len(gateway.delivered) == 3
    # The gateway was down, so each delayed SMS reached it exactly once when it came back.
    requested = [r.key for r in gateway.requests]
    assert all(requested.count(key) == 1 for key in wanted)
    assert sorted(d["attempts"] for d in sent if d["_id"] in wanted)[0] >= 3
    assert len(collector.messages) == 3


async def _states(store: Any, state: str, n: int) -> list[Document] | None:
    found: list[Document] = await store.find({"channel": "sms", "state": state}).to_list()
    return found if len(found) >= n else None


async def test_a_lost_answer_is_retried_with_the_same_key_and_the_gateway_sends_once(
    settings: PlumbingSettings, gateway: GatewayReceiver, smtp_port: int
) -> None:
    case_id, phone = uuid.uuid4().hex, "+86 138 0000 0021"
    gateway.answer_late_once[phone] = 2.5  # the sender gives up after 1 s
    event = accepted(case_id)
    async with running(notify_settings(settings, gateway, smtp_port)) as notify:
        await publish(settings, [*submitted(case_id, phone=phone), (CASE_EVENTS, event)])
        await holds(lambda: len(gateway.keys_for(phone)) >= 2, "the resend")
        records = await read_topic(
            settings.kafka_bootstrap, settings.topic(NOTIFICATION_EVENTS), expect=2
        )
        metrics = (await notify.get("/metrics")).text

    assert 'minyi_push_deliveries_total{channel="sms",outcome="retry"} 1.0' in metrics
    assert 'minyi_push_deliveries_total{channel="sms",outcome="sent"} 1.0' in metrics

    assert gateway.keys_for(phone) == [sms_key(event, case_id)] * 2
    assert list(gateway.delivered) == [sms_key(event, case_id)]
    sent = [Envelope.from_bytes(r.value) for r in records]
    assert sorted(e.data["channel"] for e in sent) == ["inbox", "sms"]


async def test_a_refused_number_goes_to_the_dead_letter_topic_and_is_reported_failed(
    settings: PlumbingSettings,
    gateway: GatewayReceiver,
    smtp_port: int,
    collector: Collector,
    mongo: AsyncMongoClient[Document],
) -> None:
    case_id, phone = uuid.uuid4().hex, "+86 000"
    gateway.refuse.add(phone)
    event = accepted(case_id)
    async with running(notify_settings(settings, gateway, smtp_port)) as notify:
        await publish(
            settings,
            [*submitted(case_id, phone=phone, email="r@example.com"), (CASE_EVENTS, event)],
        )
        [dead] = await read_topic(
            settings.kafka_bootstrap,
            settings.topic(dead_letter_topic(NOTIFY_DELIVERIES)),
            expect=1,
        )
        records = await read_topic(
            settings.kafka_bootstrap, settings.topic(NOTIFICATION_EVENTS), expect=3
        )
        stored = await deliveries(mongo, settings).find_one({"_id": sms_key(event, case_id)})
        metrics = (await notify.get("/metrics")).text

    assert 'minyi_push_deliveries_total{channel="sms",outcome="failed"} 1.0' in metrics
    assert 'minyi_push_deliveries_total{channel="email",outcome="sent"} 1.0' in metrics
    failed = Envelope.from_bytes(dead.value)
    assert failed.type == "notification.failed"
    assert failed.data["notification_id"] == sms_key(event, case_id)
    assert phone not in dead.value.decode()  # no personal data on a topic
    assert "gateway 400" in (header(dead, "dlq-error") or "")
    assert (header(dead, "dlq-channel"), header(dead, "dlq-attempts")) == ("sms", "1")
    by_channel = {
        (e.type, e.data["channel"]) for e in (Envelope.from_bytes(r.value) for r in records)
    }
    assert by_channel == {
        ("notification.failed", "sms"),
        ("notification.sent", "email"),
        ("notification.sent", "inbox"),
    }
    assert stored is not None
    assert (stored["state"], stored["attempts"]) == ("failed", 1)
    assert len(gateway.requests) == 1  # a permanent refusal is not retried
    assert emails_to(collector, "r@example.com") == ["您的意见建议已受理"]


async def test_the_same_events_redelivered_and_replayed_after_a_restart_send_nothing_twice(
    settings: PlumbingSettings,
    gateway: GatewayReceiver,
    smtp_port: int,
    collector: Collector,
) -> None:
    cases = [uuid.uuid4().hex for _ in range(2)]
    phones = {c: f"+86 139 0000 00{n}" for n, c in enumerate(cases)}
    events = [e for c in cases for e in (accepted(c), responded(c))]
    config = notify_settings(settings, gateway, smtp_port)
    contacts = [item for c in cases for item in submitted(c, phone=phones[c], email=f"{c}@x.cn")]
    async with running(config):
        await publish(settings, [*contacts, *((CASE_EVENTS, e) for e in events)])
        await holds(lambda: len(gateway.delivered) >= 4, "four SMS")
        await publish(settings, [(CASE_EVENTS, e) for e in events])  # redelivered

    # Forget every committed offset: the restarted service reads both topics from the start.
    await rewind(settings, "notify.cases", CASE_EVENTS)
    await rewind(settings, "notify.contacts", RESIDENT_CONTACTS)
    markers = [closed(c) for c in cases]
    async with running(config):
        await publish(settings, [(CASE_EVENTS, e) for e in markers])
        # Each marker follows its case's replayed events on the same partition.
        await holds(lambda: len(gateway.delivered) >= 6, "the markers' SMS")
        await holds(lambda: len(collector.messages) >= 6, "the markers' emails")
        await asyncio.sleep(1)  # anything duplicated would have arrived by now

    keys = [r.key for r in gateway.requests]
    assert len(keys) == len(set(keys)) == 6
    assert sorted(keys) == sorted(
        sms_key(e, c) for c in cases for e in events + markers if e.subject == c
    )
    per_recipient = [tuple(rcpt) for rcpt, _ in collector.messages]
    assert sorted(per_recipient) == sorted([(f"{c}@x.cn",) for c in cases] * 3)


async def rewind(settings: PlumbingSettings, group: str, topic: str) -> None:
    """Commit offset 0 on every partition for the group, as an operator resetting it would."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=settings.topic(group),
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        [spec] = [spec for spec in platform_topics() if spec.name == topic]
        tps = [TopicPartition(settings.topic(topic), p) for p in range(spec.partitions)]
        consumer.assign(tps)
        await consumer.commit(dict.fromkeys(tps, 0))
        assert [await consumer.committed(tp) for tp in tps] == [0] * len(tps)
    finally:
        await consumer.stop()


def token(
    role: Role,
    username: str,
    *,
    station: str | None = None,
    representative_code: str | None = None,
) -> dict[str, str]:
    issued, _ = issue_token(
        signing_key=DEV_JWT_PRIVATE_KEY,
        username=username,
        role=role,
        station=station,
        representative_code=representative_code,
        department=None,
        version=1,
        ttl=timedelta(minutes=5),
    )
    return {"Authorization": f"Bearer {issued}"}


async def test_quiet_hours_hold_back_what_is_not_urgent_and_each_reads_their_language(
    settings: PlumbingSettings,
    gateway: GatewayReceiver,
    smtp_port: int,
    mongo: AsyncMongoClient[Document],
) -> None:
    zone = ZoneInfo("Asia/Shanghai")
    now = datetime.now(zone).replace(second=0, microsecond=0)
    quiet = {
        "start": (now - timedelta(hours=1)).strftime("%H:%M"),
        "end": (now + timedelta(hours=1)).strftime("%H:%M"),
        "timezone": "Asia/Shanghai",
    }
    representative = token("representative", "zhang", station="xijie", representative_code="0412")
    admin = token("admin", "root")
    config = notify_settings(
        settings,
        gateway,
        smtp_port,
        im_accounts={"representative:0412": "im-0412", "station_head:xijie": "im-head"},
    )
    case_id = uuid.uuid4().hex
    new_case = wrap(
        CaseAssigned(
            case_id=case_id,
            category="parking",
            station_id="xijie",
            station_name="西街联络站",
            representative_code="0412",
            reason="qr: representative 0412",
            assigned_at=AT,
        ),
        case_id,
    )
    overdue = wrap(
        CaseEscalated(case_id=case_id, actor_role="system", deadline="accept", due_at=AT, **WHO),
        case_id,
    )
    await publish_test_accounts(settings, ["zhang", "root"])  # as routing publishes its own
    async with running(config) as client:
        mine = await client.put(
            "/v1/preferences/representative:0412",
            json={"language": "en", "quiet_hours": quiet},
            headers=representative,
        )
        theirs = await client.put(
            "/v1/preferences/station_head:xijie", json={"language": "en"}, headers=representative
        )
        anonymous = await client.put("/v1/preferences/station_head:xijie", json={})
        invalid = await client.put(
            "/v1/preferences/station_head:xijie",
            json={"language": "fr", "quiet_hours": {"start": "22:00", "end": "22:00"}},
            headers=admin,
        )
        by_admin = await client.put(
            "/v1/preferences/station_head:xijie",
            json={"language": "en", "quiet_hours": quiet},
            headers=admin,
        )
        read_back = await client.get("/v1/preferences/representative:0412", headers=representative)
        untouched = await client.get("/v1/preferences/station:dongcheng", headers=admin)

        await publish(settings, [(CASE_EVENTS, new_case), (CASE_EVENTS, overdue)])
        await holds(lambda: len(gateway.delivered) >= 1, "the escalation")
        held = await until(
            lambda: deliveries(mongo, settings).find_one(
                {"recipient": "representative:0412", "channel": "im"}
            ),
            "the held-back message",
        )
        await asyncio.sleep(1)  # it stays held back

    assert mine.status_code == 200 and mine.json()["stored"]
    assert theirs.status_code == 403
    assert anonymous.status_code == 401
    assert invalid.status_code == 422
    assert sorted(e["field"] for e in invalid.json()["detail"]) == ["language", "quiet_hours"]
    assert by_admin.status_code == 200
    assert read_back.json()["preferences"]["quiet_hours"]["start"] == quiet["start"] + ":00"
    assert untouched.json() == {
        "recipient": "station:dongcheng",
        "preferences": {
            "channels": {"email": True, "sms": True, "im": True},
            "language": "zh",
            "quiet_hours": None,
        },
        "stored": False,
    }
    # The escalation is urgent: it went at once, in the head's language, despite quiet hours.
    [escalation] = gateway.delivered.values()
    assert (escalation["to"], escalation["title"]) == (
        "im-head",
        "[Urgent] Case overdue to be accepted",
    )
    # The new case waits for the end of the representative's quiet hours.
    assert held["state"] == "pending" and held["attempts"] == 0
    assert held["next_attempt_at"] == (now + timedelta(hours=1)).astimezone(UTC)
    assert held["title"] == "New opinion (parking)"
    assert gateway.keys_for("im-0412") == []
