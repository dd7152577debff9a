"""What an operator watches, on the real broker and store: /metrics names and collectors, the
outbox's oldest pending event, and readiness failing while a consumer is stuck."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from importlib.metadata import version
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from shared.dispatch import Event, EventRoutes
from shared.events.case_events import CaseSubmitted
from shared.metrics import Metrics
from shared.mongo import Document
from shared.outbox import OutboxRelay, RelayRead, ensure_outbox_index, with_outbox
from shared.outbox_age import age_seconds, oldest_pending_seq, relay_oldest_seq
from shared.producer import EventPublisher
from shared.runtime import ServiceRuntime
from shared.topics import CASE_EVENTS
from tests.conftest import PlumbingSettings
from tests.integration.in_process import serving
from tests.integration.test_consumer import submitted_event

CASE = {"category": "parking", "text": "西街小区里要增加一些停车位", "liaison_point_id": "baiyun"}


@pytest.fixture
async def intake(settings: PlumbingSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        IntakeSettings(
            kafka_bootstrap=settings.kafka_bootstrap,
            mongo_url=settings.mongo_url,
            namespace=settings.namespace,
            outbox_poll_seconds=0.1,
        )
    )
    async with serving(app, "intake") as client:
        yield client


async def metrics_until(client: httpx.AsyncClient, wanted: str, timeout_s: float = 20) -> str:
    text = ""
    for _ in range(int(timeout_s / 0.1)):
        text = (await client.get("/metrics")).text
        if wanted in text:
            return text
        await asyncio.sleep(0.1)
    raise AssertionError(f"{wanted!r} never appeared on /metrics:\n{text}")


async def test_metrics_follow_prometheus_naming_with_process_metrics_and_the_version(
    intake: httpx.AsyncClient, settings: PlumbingSettings
) -> None:
    tracked = await intake.post("/v1/cases", json=CASE)
    assert tracked.status_code == 202
    # intake reads case-events too (its own submission is skipped, and still counted as read).
    group = f"{settings.namespace}.intake.cases"
    lag = f'minyi_consumer_lag_records{{group="{group}",partition="'
    text = await metrics_until(intake, lag)

    route = 'method="POST",route="/v1/cases"'
    assert f'minyi_http_request_duration_seconds_bucket{{le="+Inf",{route}}} 1.0' in text
    assert f"minyi_http_request_duration_seconds_count{{{route}}} 1.0" in text
    assert f'minyi_http_requests_total{{{route},status="202"}} 1.0' in text
    assert f'minyi_service_info{{service="intake",version="{version("minyi")}"}} 1.0' in text
    for present in (
        "process_cpu_seconds_total ",
        "process_resident_memory_bytes ",
        "process_open_fds ",
        "python_gc_collections_total{",
        "python_info{",
        "minyi_outbox_pending_documents ",
        "minyi_outbox_oldest_event_age_seconds ",
        "minyi_events_produced_total{",
    ):
        assert present in text, present
    # The old, unit-less names are gone.
    assert "minyi_http_request_seconds" not in text
    assert "minyi_consumer_lag{" not in text


async def test_the_oldest_pending_outbox_event_is_read_from_the_store(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    collection = mongo[settings.database_name]["cases"]
    await ensure_outbox_index(collection)
    assert await oldest_pending_seq([collection]) is None

    now_ns = time.time_ns()
    await collection.insert_many(
        [
            with_outbox({"_id": "recent"}, [submitted_event()], topic=CASE_EVENTS),
            with_outbox({"_id": "old"}, [submitted_event(), submitted_event()], topic=CASE_EVENTS),
            {"_id": "drained", "status": "submitted"},
        ]
    )
    # Queued 90 s ago: the relay (not running here) never got to it.
    old = await collection.find_one({"_id": "old"})
    assert old is not None
    key = next(iter(old["outbox"]))
    await collection.update_one({"_id": "old"}, {"$set": {f"outbox.{key}.seq": now_ns - 90e9}})

    seq = await oldest_pending_seq([collection])
    assert seq is not None
    assert 89.0 < age_seconds(seq, now_ns=time.time_ns()) < 120.0

    # A relay that has not read lately (not running, or waiting for Kafka): the store says.
    relay = OutboxRelay(
        collections=[collection],
        publisher=EventPublisher(settings=settings, metrics=Metrics("probe")),
        settings=settings,
        metrics=Metrics("probe"),
    )
    assert await relay_oldest_seq(relay, fresh_s=20) == seq
    relay.last_read = RelayRead(time.monotonic() - 60, oldest=None)
    assert await relay_oldest_seq(relay, fresh_s=20) == seq
    # A relay that read in its last pass: what it read, with no read of the store.
    relay.last_read = RelayRead(time.monotonic(), oldest=seq + 5)
    assert await relay_oldest_seq(relay, fresh_s=20) == seq + 5
    relay.last_read = RelayRead(time.monotonic(), oldest=None)
    assert await relay_oldest_seq(relay, fresh_s=20) is None


async def test_readiness_fails_naming_the_group_while_a_consumer_is_stuck_and_recovers(
    settings: PlumbingSettings,
) -> None:
    runtime = ServiceRuntime(settings.model_copy(update={"consumer_stall_seconds": 1.0}))
    release = asyncio.Event()
    handled: list[str] = []

    async def stuck(events: Sequence[Event[CaseSubmitted]]) -> None:
        await release.wait()  # a handler waiting on something that never answers
        handled.extend(e.id for e in events)

    routes = EventRoutes()
    routes.on(CaseSubmitted, stuck)
    consumer = runtime.consumer(purpose="cases", topic=CASE_EVENTS, routes=routes)

    async def ready_schema() -> None:
        return None

    async def on_start() -> None:
        runtime.spawn_setup(ready_schema)
        runtime.spawn("consumer.cases", consumer.run)

    app = runtime.app(title="probe", description="", on_start=on_start)
    async with serving(app, "probe") as client:
        assert (await client.get("/readyz")).status_code == 200
        publisher = EventPublisher(settings=settings, metrics=Metrics("probe"))
        await asyncio.wait_for(publisher.start(), 30)
        try:
            events = [submitted_event() for _ in range(3)]
            await publisher.publish_many([(settings.topic(CASE_EVENTS), e) for e in events])
        finally:
            await publisher.stop()

        stalled = await readiness_until(client, 503)
        assert stalled["checks"]["consumers"].startswith("unavailable: ConsumerStalled")
        assert consumer.group in stalled["checks"]["consumers"]
        assert {k: v for k, v in stalled["checks"].items() if k != "consumers"} == {
            "store": "ok",
            "kafka": "ok",
            "schema": "ok",
        }
        metrics = (await client.get("/metrics")).text
        assert f'minyi_consumer_stalled{{group="{consumer.group}"}} 1.0' in metrics

        release.set()
        recovered = await readiness_until(client, 200)
        assert recovered["checks"]["consumers"] == "ok"
        # Ready again once the stuck batch is through; the events on other partitions follow
        # in the next polls.
        for _ in range(300):
            if len(handled) >= len(events):
                break
            await asyncio.sleep(0.1)
        assert sorted(handled) == sorted(e.id for e in events)


async def readiness_until(client: httpx.AsyncClient, status: int) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for _ in range(300):
        response = await client.get("/readyz")
        body = response.json()
        if response.status_code == status:
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"/readyz never answered {status}: {body}")
