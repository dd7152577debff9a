"""A resident's erasure reaches every service (PIPL): the four services as processes, a case
with recognisable strings everywhere it goes, erased through intake's admin API, then every
document of every database of the namespace scanned for those strings — none is left, and the
case still counts in reporting.

The topics too: every record of every topic of the namespace is read, before the erasure and
after it, and none shows those strings (the personal fields travel sealed with the case's key,
shared.sealing); after the erasure the key is gone, so a fresh consumer group replaying
`case-events` through the decode path reads placeholders, and reporting rebuilt by replay
counts the same.

A resident who only said "me too" on the case, leaving a phone and an email, is erased first by
that phone: none of their strings is left in any store or topic, while the case, its count of
supporters and its own resident's contact stay.
"""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from bson import json_util
from pymongo import AsyncMongoClient, MongoClient

from shared.case_keys import CaseKeys
from shared.consumer import EventConsumer
from shared.dispatch import Event, EventRoutes
from shared.events.case_events import CASE_EVENT_TYPES, CaseMessageSent, CaseSubmitted
from shared.events.envelope import EventData
from shared.metrics import Metrics
from shared.mongo import Document
from shared.producer import EventPublisher
from shared.sealing import ERASED, is_sealed
from shared.topics import CASE_EVENTS, CASE_KEYS, RESIDENT_CONTACTS, dead_letter_topic
from tests.conftest import PlumbingSettings
from tests.e2e.platform import ADMIN, Platform, act, eventually, sign_in, staff_case
from tests.e2e.test_case_flow import QR_CASE, assigned, resident_view, submit
from tests.infra import ROOT, Infra, free_port
from tests.integration.test_intake_attachments import tiny_png
from tests.kafka_tools import read_topic

LAT, LON = 28.0731927, 119.1362841


@pytest.fixture
def platform(infra: Infra, namespace: str, settings: object) -> Iterator[Platform]:
    # notify with an SMS gateway nobody listens on: the resident's SMS stays queued, with their
    # number in it, until the erasure.
    running = Platform(
        infra=infra,
        namespace=namespace,
        extra_env={
            "MINYI_SMS_GATEWAY_URL": f"http://127.0.0.1:{free_port()}/sms",
            "MINYI_GATEWAY_SECRET": "e2e-erasure-gateway-secret",
            "MINYI_GATEWAY_TIMEOUT_S": "0.5",
        },
    )
    try:
        running.start_all()
        yield running
    finally:
        running.stop_all()


def every_document(platform: Platform) -> Iterator[tuple[str, str, str]]:
    """(database, collection, the document as text) for every document of the namespace."""
    client: MongoClient[dict[str, Any]] = MongoClient(platform.infra.mongo_url)
    try:
        for database in client.list_database_names():
            if not database.startswith(platform.namespace + "_"):
                continue
            for collection in client[database].list_collection_names():
                for document in client[database][collection].find():
                    text = str(document) + json_util.dumps(document, ensure_ascii=False)
                    yield database, collection, text
    finally:
        client.close()


def leftovers(platform: Platform, secrets: list[str]) -> list[str]:
    return [
        f"{database}.{collection}: {secret!r}"
        for database, collection, text in every_document(platform)
        for secret in secrets
        if secret in text
    ]


async def every_record(platform: Platform) -> list[tuple[str, Any]]:
    """(topic, record) for every record of every topic of the namespace, read from the start
    by one consumer without a group, as a downstream system would."""
    admin = AIOKafkaAdminClient(bootstrap_servers=platform.infra.kafka_bootstrap)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(platform.namespace + ".")]
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    partitions = [
        TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"]
    ]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=platform.infra.kafka_bootstrap, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[tuple[str, Any]] = []
        for _ in range(400):
            positions = {tp: await consumer.position(tp) for tp in partitions}
            if all(positions[tp] >= ends[tp] for tp in partitions):
                return found
            batch = await consumer.getmany(timeout_ms=200)
            found.extend((tp.topic, r) for tp, records in batch.items() for r in records)
        raise AssertionError("the topics could not be read to their ends")
    finally:
        await consumer.stop()


def on_topics(platform: Platform, secrets: list[str]) -> tuple[list[str], list[tuple[str, Any]]]:
    """The secrets found in any record (key, value, headers) of any topic; and the records."""
    records = asyncio.run(every_record(platform))
    found = []
    for topic, record in records:
        raw = b"".join(
            [record.key or b"", record.value or b"", *(v for _, v in record.headers or ())]
        ).decode(errors="replace")
        found += [f"{topic}@{record.offset}: {s!r}" for s in secrets if s in raw]
    return found, records


async def replay_case_events(platform: Platform, case_id: str) -> list[Event[EventData]]:
    """`case-events` from the start by a new consumer group, decoded as every service does,
    with reporting's copy of the case keys; the case's events once its last one is in."""
    settings = PlumbingSettings(
        service_name="replay",
        kafka_bootstrap=platform.infra.kafka_bootstrap,
        mongo_url=platform.infra.mongo_url,
        namespace=platform.namespace,
        consumer_retry_max_seconds=1.0,
    )
    seen: list[Event[EventData]] = []

    async def collect(events: Sequence[Event[EventData]]) -> None:
        seen.extend(e for e in events if e.subject == case_id)

    routes = EventRoutes()
    routes.on_each_of(list(CASE_EVENT_TYPES.values()), collect)
    client: AsyncMongoClient[Document] = AsyncMongoClient(platform.infra.mongo_url)
    publisher = EventPublisher(settings=settings, metrics=Metrics("replay"))
    await publisher.start()
    consumer = EventConsumer(
        settings=settings,
        metrics=Metrics("replay"),
        publisher=publisher,
        purpose="cases",
        topics=[CASE_EVENTS],
        routes=routes,
        keys=CaseKeys(client[f"{platform.namespace}_minyi_reporting"]),
    )
    task = asyncio.create_task(consumer.run())
    try:
        for _ in range(600):
            if sum(isinstance(e.data, CaseMessageSent) for e in seen) >= 2:
                return seen
            await asyncio.sleep(0.05)
        raise AssertionError(f"replayed only {[e.type for e in seen]}")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await publisher.stop()
        await client.close()


def test_an_erased_resident_is_nowhere_in_any_store_and_their_case_still_counts(
    platform: Platform,
) -> None:
    marker = uuid.uuid4().hex[:10]
    digits = f"{uuid.uuid4().int % 10**8:08d}"
    phone = f"+86 137 {digits[:4]} {digits[4:]}"
    email = f"resident-{marker}@example.cn"
    text = f"标记{marker}：小区东门的停车场晚上停满了"
    question = f"请问具体是哪个门？问{marker}"
    answer = f"是东门，靠近{marker}号楼"
    photo_name = f"gate-{marker}.png"
    receipt = submit(
        platform,
        {
            **QR_CASE,
            "text": text,
            "location": {"lat": LAT, "lon": LON},
            "contact": {"name": "王阿姨", "phone": phone, "email": email},
            "attachments": [
                {
                    "filename": photo_name,
                    "content_type": "image/png",
                    "data": base64.b64encode(tiny_png()).decode(),
                }
            ],
        },
    )
    code, case_id = receipt["tracking_code"], receipt["case_id"]
    eventually(lambda: assigned(platform, code), timeout_s=20)
    photo_sha256 = resident_view(platform, code)["attachments"][0]["sha256"]

    # The case flows everywhere: accepted (the resident is told, by SMS too), a question from
    # the station, the resident's answer (the station's inbox quotes it).
    representative = sign_in(platform, "rep-0412")
    staff = sign_in(platform, "xijie-staff")
    assert act(platform, representative, case_id, "accept").status_code == 200
    asked = httpx.post(
        platform.url("routing", f"/v1/staff/cases/{case_id}/messages"),
        json={"text": question},
        headers=staff,
        timeout=10,
    )
    assert asked.status_code == 200, asked.text
    eventually(lambda: resident_view(platform, code)["messages"])
    replied = platform.post("intake", f"/v1/cases/{code}/messages", json={"text": answer})
    assert replied.status_code == 202, replied.text
    eventually(
        lambda: any(
            answer in m["body"]
            for m in platform.get("notify", "/v1/inbox/station:xijie").json()["messages"]
        )
    )
    eventually(
        lambda: any(
            m["text"] == answer for m in staff_case(platform, staff, case_id).json()["messages"]
        )
    )

    # Another resident says "me too", leaving a contact of their own.
    supporter_digits = f"{uuid.uuid4().int % 10**8:08d}"
    supporter_phone = f"+86 135 {supporter_digits[:4]} {supporter_digits[4:]}"
    supporter_normalized = f"135{supporter_digits}"
    supporter_email = f"supporter-{marker}@example.cn"
    supporter_secrets = [supporter_phone, supporter_normalized, supporter_email]
    joined = platform.post(
        "intake",
        f"/v1/cases/{case_id}/supporters",
        json={"contact": {"phone": supporter_phone, "email": supporter_email}},
        headers={"Idempotency-Key": f"e2e-erasure-{marker}"},
    )
    assert joined.status_code == 202 and joined.json()["supporters"] == 1, joined.text
    eventually(
        lambda: (
            {database for database, _, doc in every_document(platform) if supporter_email in doc}
            == {f"{platform.namespace}_minyi_intake", f"{platform.namespace}_minyi_notify"}
        )
    )
    eventually(lambda: platform.get("reporting", "/v1/reports/city").json()["city"]["supporters"])

    by_supporter = httpx.post(
        platform.url("intake", "/v1/admin/erasures"),
        json={"phone": supporter_normalized},
        headers=ADMIN,
        timeout=10,
    )
    assert by_supporter.status_code == 200, by_supporter.text
    assert by_supporter.json()["erased"] == 1
    ((supporter_case, supporter_id),) = [
        (c["case_id"], c["supporter_id"]) for c in by_supporter.json()["cases"]
    ]
    assert supporter_case == case_id and supporter_id

    def supporter_scrubbed() -> bool:
        found = leftovers(platform, supporter_secrets)
        assert not found, found
        return True

    eventually(supporter_scrubbed, timeout_s=30, interval_s=0.5)
    found, on_record = on_topics(platform, supporter_secrets)
    assert found == []
    supporter_records = [
        r.value
        for topic, r in on_record
        if topic == f"{platform.namespace}.{RESIDENT_CONTACTS}"
        and r.key == f"{case_id}/{supporter_id}".encode()
    ]
    assert supporter_records[0] is not None and supporter_records[-1] is None
    # The case, its count and its own resident are untouched.
    view = resident_view(platform, code)
    assert (view["text"], view["supporters"]) == (text, 1)
    kept = leftovers(platform, [phone, email])
    for database in ("minyi_intake", "minyi_notify"):
        assert any(f"{platform.namespace}_{database}." in k for k in kept), database

    normalized = f"137{digits}"
    secrets = [phone, normalized, email, text, question, answer, photo_name, photo_sha256]
    secrets += [str(LAT), str(LON)]
    before = leftovers(platform, secrets)
    # Each service held some of it: the scan would see it if it stayed.
    for database in ("minyi_intake", "minyi_routing", "minyi_notify"):
        assert any(f"{platform.namespace}_{database}." in found for found in before), database
    assert any(".deliveries: " in found and repr(phone) in found for found in before)
    counted = platform.get("reporting", "/v1/reports/city").json()["city"]

    # No topic holds them in clear, before the erasure either: they travel sealed.
    found, on_record = on_topics(platform, secrets)
    assert found == []
    events = [
        json.loads(r.value)
        for topic, r in on_record
        if topic == f"{platform.namespace}.{CASE_EVENTS}" and r.key == case_id.encode()
    ]
    texts = [
        e["data"]["text"] for e in events if e["type"] in ("case.submitted", "case.message_sent")
    ]
    assert len(texts) == 3 and all(is_sealed(t) for t in texts), texts
    assert any(
        topic == f"{platform.namespace}.{CASE_KEYS}" and r.key == case_id.encode()
        for topic, r in on_record
    )

    erased = httpx.post(
        platform.url("intake", "/v1/admin/erasures"),
        json={"email": email.upper()},
        headers=ADMIN,
        timeout=10,
    )
    assert erased.status_code == 200, erased.text
    assert erased.json()["erased"] == 1

    def scrubbed() -> bool:
        found = leftovers(platform, secrets)
        assert not found, found  # `eventually` reports the last leftovers it saw
        return True

    eventually(scrubbed, timeout_s=30, interval_s=0.5)

    log = platform.get("intake", f"/v1/admin/erasures/{case_id}").json()["entries"]
    assert [(e["scope"], e["contact"], e["supporter_id"]) for e in log] == [
        ("contact", True, supporter_id),
        ("all", True, None),
    ]
    eventually(
        lambda: platform.get("intake", f"/v1/admin/erasures/{case_id}").json()["entries"][-1][
            "tombstone_at"
        ]
    )
    records = asyncio.run(
        read_topic(
            platform.infra.kafka_bootstrap, f"{platform.namespace}.{RESIDENT_CONTACTS}", expect=2
        )
    )
    keyed = [r.value for r in records if r.key == case_id.encode()]
    assert keyed[0] is not None and keyed[-1] is None  # compaction keeps the tombstone only

    # What counts stays: the case, its status, station, category and dates.
    view = resident_view(platform, code)
    assert (view["status"], view["category"], view["text"]) == ("accepted", "parking", "[erased]")
    assert view["station"]["id"] == "xijie" and view["attachments"] == []
    routed = staff_case(platform, staff, case_id).json()
    assert (routed["status"], routed["station_id"], routed["text"]) == (
        "accepted",
        "xijie",
        "[erased]",
    )
    assert platform.get("reporting", "/v1/reports/city").json()["city"] == counted
    assert counted["received"] == 1 and counted["accepted"] == 1
    photo = platform.get("intake", f"/v1/cases/{code}/attachments/1")
    assert photo.status_code == 404
    assert json.dumps(erased.json()).find(normalized) == -1

    # The key is shredded in every service's key ring (the erased mark stays, the key goes)...
    def shredded() -> bool:
        client: MongoClient[dict[str, Any]] = MongoClient(platform.infra.mongo_url)
        try:
            marks = [
                client[f"{platform.namespace}_minyi_{service}"]["case_keys"].find_one(
                    {"_id": case_id}
                )
                for service in ("intake", "routing", "notify", "reporting")
            ]
        finally:
            client.close()
        return all(m is not None and "key" not in m and "erased_at" in m for m in marks)

    eventually(shredded, timeout_s=20)
    # ... and the topics, still holding every record, show nothing more than before.
    found, _ = on_topics(platform, secrets)
    assert found == []
    # A new consumer replaying case-events reads the placeholders: the key is gone.
    replayed = asyncio.run(replay_case_events(platform, case_id))
    (born,) = [e.data for e in replayed if isinstance(e.data, CaseSubmitted)]
    assert (born.text, born.location, born.category) == (ERASED, None, "parking")
    said = [e.data.text for e in replayed if isinstance(e.data, CaseMessageSent)]
    assert said == [ERASED, ERASED]
    dead = asyncio.run(
        read_topic(
            platform.infra.kafka_bootstrap,
            f"{platform.namespace}.{dead_letter_topic('replay.cases')}",
        )
    )
    assert dead == []
    # Reporting rebuilt by replaying the topics counts the case as before.
    rebuilt = subprocess.run(
        [sys.executable, "-m", "services.reporting", "rebuild"],
        env=platform.env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert platform.get("reporting", "/v1/reports/city").json()["city"] == counted
