"""The case key ring on the real broker and store (shared.case_keys, shared.sealing): a
publisher seals with its case's key and sends the key first; a consumer waits for a key that
arrives late instead of dead-lettering the event, dead-letters a tampered one as it came
(sealed), and reads placeholders once the key's tombstone has come."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import partial

import orjson
from pymongo.asynchronous.database import AsyncDatabase

from shared.case_keys import (
    CaseKeys,
    KeySealer,
    KeyTombstones,
    decode_key,
    encode_key,
    forget_key,
    key_ring_routes,
)
from shared.consumer import EventConsumer
from shared.dispatch import Event, EventRoutes
from shared.events.case_events import CaseResponded, CaseSubmitted
from shared.events.case_key_events import CaseKeyIssued
from shared.events.envelope import Envelope, EventData
from shared.metrics import Metrics
from shared.mongo import Document, create_client, service_database
from shared.producer import EventPublisher
from shared.sealing import ERASED, is_sealed, new_key, open_envelope, seal_envelope
from shared.topics import CASE_EVENTS, CASE_KEYS, dead_letter_topic
from tests.conftest import PlumbingSettings
from tests.integration.test_consumer import wait_for
from tests.kafka_tools import read_topic

TEXT = "河星村桥头的路灯坏了三个月，晚上孩子放学很危险"
RESPONSE = "已报修，供电所周五前换好三盏路灯"


def submitted(case_id: str) -> Envelope:
    return Envelope.wrap(
        CaseSubmitted(
            case_id=case_id,
            category="street_lights",
            text=TEXT,
            channel="web",
            submitted_at=datetime.now(UTC),
        ),
        source="minyi/intake",
        subject=case_id,
        correlation_id="corr-" + case_id[:8],
    )


def responded(case_id: str) -> Envelope:
    return Envelope.wrap(
        CaseResponded(
            case_id=case_id,
            station_id="hexing",
            actor_role="staff",
            actor_id="hexing-staff",
            at=datetime.now(UTC),
            response=RESPONSE,
        ),
        source="minyi/routing",
        subject=case_id,
        correlation_id="corr-" + case_id[:8],
    )


@asynccontextmanager
async def store(settings: PlumbingSettings) -> AsyncIterator[AsyncDatabase[Document]]:
    client = create_client(settings)
    try:
        yield service_database(client, settings)
    finally:
        await client.close()


@asynccontextmanager
async def publishing(
    settings: PlumbingSettings, keys: CaseKeys | None = None
) -> AsyncIterator[EventPublisher]:
    sealer = KeySealer(keys, settings=settings) if keys is not None else None
    publisher = EventPublisher(settings=settings, metrics=Metrics("probe"), sealer=sealer)
    await asyncio.wait_for(publisher.start(), 30)
    try:
        yield publisher
    finally:
        await publisher.stop()


async def test_a_publisher_seals_with_the_cases_key_and_sends_the_key_first(
    settings: PlumbingSettings,
) -> None:
    case_id = str(uuid.uuid4())
    first, second = submitted(case_id), responded(case_id)
    async with store(settings) as db, publishing(settings, CaseKeys(db)) as publisher:
        keys = CaseKeys(db)
        await publisher.publish_many([(settings.topic(CASE_EVENTS), e) for e in (first, second)])
        # Shredded meanwhile (the case erased while this event waited in an outbox): it goes
        # out with the placeholder, not its text.
        await keys.forget(case_id, now=datetime.now(UTC))
        third = responded(case_id)
        await publisher.publish(settings.topic(CASE_EVENTS), third)
        stored = await db["case_keys"].find_one({"_id": case_id})
        # A key record read again (a replay, a restored backup) does not bring it back.
        again = CaseKeyIssued(case_id=case_id, key=encode_key(new_key()), issued_at=first.time)
        await keys.record([again])
        assert await keys.lookup({case_id}) == {case_id: None}

    records = await read_topic(settings.kafka_bootstrap, settings.topic(CASE_EVENTS), expect=3)
    raw = b"".join(r.value for r in records)
    assert TEXT.encode() not in raw and RESPONSE.encode() not in raw
    events = {e.id: e for e in (Envelope.from_bytes(r.value) for r in records)}
    assert is_sealed(events[first.id].data["text"])
    assert is_sealed(events[second.id].data["response"])
    assert events[third.id].data["response"] == ERASED
    assert events[first.id].data["category"] == "street_lights"  # what counts stays clear

    (key_record,) = await read_topic(settings.kafka_bootstrap, settings.topic(CASE_KEYS), expect=1)
    assert key_record.key == case_id.encode()
    issued = Envelope.from_bytes(key_record.value).payload(CaseKeyIssued)
    # The key left before the events it opens, and is the one kept here.
    assert key_record.timestamp <= min(r.timestamp for r in records)
    assert stored is not None and "key" not in stored and "erased_at" in stored
    key = decode_key(issued.key)
    assert open_envelope(events[first.id], {case_id: key}).data["text"] == TEXT
    assert open_envelope(events[second.id], {case_id: key}).data["response"] == RESPONSE


async def test_an_event_whose_key_arrives_late_is_handled_then_and_never_dead_lettered(
    settings: PlumbingSettings,
) -> None:
    case_id = str(uuid.uuid4())
    key = new_key()
    sealed = seal_envelope(submitted(case_id), {case_id: key})
    # A ciphertext moved from another event of the same case: it must not open.
    other = seal_envelope(submitted(case_id), {case_id: key})
    tampered = Envelope.wrap(
        CaseSubmitted.model_validate({**submitted(case_id).data, "text": "x"}),
        source="minyi/intake",
        subject=case_id,
        correlation_id="corr-tampered",
    )
    tampered = tampered.model_copy(update={"data": {**tampered.data, "text": other.data["text"]}})
    seen: list[Event[EventData]] = []

    async def handle(events: Sequence[Event[EventData]]) -> None:
        seen.extend(events)

    routes = EventRoutes()
    routes.on_each_of([CaseSubmitted, CaseResponded], handle)
    async with store(settings) as db, publishing(settings) as publisher:
        keys = CaseKeys(db)
        metrics = Metrics("probe")
        consumers = [
            EventConsumer(
                settings=settings,
                metrics=metrics,
                publisher=publisher,
                purpose="cases",
                topics=[CASE_EVENTS],
                routes=routes,
                keys=keys,
            ),
            EventConsumer(
                settings=settings,
                metrics=metrics,
                publisher=publisher,
                purpose="keys",
                topics=[CASE_KEYS],
                routes=key_ring_routes(keys),
                on_tombstone=partial(forget_key, keys=keys),
                keys=keys,
            ),
        ]
        tasks = [asyncio.create_task(c.run()) for c in consumers]
        try:
            await publisher.publish_many(
                [(settings.topic(CASE_EVENTS), e) for e in (sealed, tampered)]
            )
            await asyncio.wait_for(consumers[0].assigned.wait(), 30)
            await asyncio.sleep(3)
            assert seen == []  # waiting for the key, not dead-lettered, not skipped

            issued = CaseKeyIssued(case_id=case_id, key=encode_key(key), issued_at=sealed.time)
            await publisher.publish(
                settings.topic(CASE_KEYS),
                Envelope.wrap(issued, source="minyi/keys", subject=case_id, correlation_id="k"),
            )
            await wait_for(lambda: len(seen) == 1)
            assert seen[0].id == sealed.id
            assert isinstance(seen[0].data, CaseSubmitted) and seen[0].data.text == TEXT

            # Erased: the key's tombstone reaches the key ring, and what comes after reads
            # the placeholder.
            await KeyTombstones(publisher=publisher, settings=settings).publish(case_id)
            for _ in range(200):
                if await keys.lookup({case_id}) == {case_id: None}:
                    break
                await asyncio.sleep(0.05)
            assert await keys.lookup({case_id}) == {case_id: None}
            late = seal_envelope(responded(case_id), {case_id: key})
            await publisher.publish(settings.topic(CASE_EVENTS), late)
            await wait_for(lambda: len(seen) == 2)
            assert isinstance(seen[1].data, CaseResponded) and seen[1].data.response == ERASED
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    dead = await read_topic(
        settings.kafka_bootstrap,
        settings.topic(dead_letter_topic(f"{settings.service_name}.cases")),
        expect=1,
    )
    # Only the tampered one, as it came: sealed, no text opened into the dead letter.
    assert [Envelope.from_bytes(r.value).id for r in dead] == [tampered.id]
    assert TEXT.encode() not in dead[0].value
    assert is_sealed(orjson.loads(dead[0].value)["data"]["text"])
