"""The shared consumer on the real broker: commits, retries, dead letters."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer

from shared.consumer import EventConsumer
from shared.dispatch import Event, EventRoutes
from shared.errors import TransientError
from shared.events.case_events import CaseSubmitted
from shared.events.envelope import Envelope
from shared.metrics import Metrics
from shared.producer import EventPublisher
from shared.topics import CASE_EVENTS, dead_letter_topic
from tests.conftest import PlumbingSettings
from tests.kafka_tools import header, read_topic


def submitted_event(text: str = "排水沟堵了，下雨就积水") -> Envelope:
    case_id = str(uuid.uuid4())
    return Envelope.wrap(
        CaseSubmitted(
            case_id=case_id,
            category="drainage",
            text=text,
            channel="web",
            submitted_at=datetime.now(UTC),
        ),
        source="test",
        subject=case_id,
        correlation_id="corr-" + case_id[:8],
    )


async def send_raw(settings: PlumbingSettings, values: Sequence[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(
                settings.topic(CASE_EVENTS),
                value,
                key=b"k",
                headers=[("correlation-id", b"raw-corr")],
            )
    finally:
        await producer.stop()


@asynccontextmanager
async def running(
    settings: PlumbingSettings,
    handler: Callable[[Sequence[Event[CaseSubmitted]]], Awaitable[None]] | None = None,
    metrics: Metrics | None = None,
    routes: EventRoutes | None = None,
) -> AsyncIterator[EventConsumer]:
    if routes is None:
        assert handler is not None
        routes = EventRoutes()
        routes.on(CaseSubmitted, handler)
    publisher = EventPublisher(settings=settings, metrics=metrics or Metrics("probe"))
    await asyncio.wait_for(publisher.start(), 30)
    consumer = EventConsumer(
        settings=settings,
        metrics=metrics or Metrics("probe"),
        publisher=publisher,
        purpose="cases",
        topics=[CASE_EVENTS],
        routes=routes,
    )
    task = asyncio.create_task(consumer.run())
    try:
        yield consumer
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await publisher.stop()


async def wait_for(condition: object, timeout_s: float = 20.0) -> None:
    for _ in range(int(timeout_s / 0.05)):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


async def test_a_record_that_is_not_an_event_is_dead_lettered_and_the_rest_handled(
    settings: PlumbingSettings,
) -> None:
    good = [submitted_event() for _ in range(3)]
    await send_raw(
        settings,
        [
            good[0].to_bytes(),
            b"{not json",
            good[1].to_bytes(),
            b'{"specversion": "1.0"}',
            good[2].to_bytes(),
        ],
    )
    seen: list[str] = []

    async def handler(events: Sequence[Event[CaseSubmitted]]) -> None:
        seen.extend(e.id for e in events)

    async with running(settings, handler):
        await wait_for(lambda: len(seen) == 3)
    assert seen == [e.id for e in good]

    group = f"{settings.service_name}.cases"
    dead = await read_topic(
        settings.kafka_bootstrap, settings.topic(dead_letter_topic(group)), expect=2
    )
    assert [r.value for r in dead] == [b"{not json", b'{"specversion": "1.0"}']
    first = dead[0]
    assert header(first, "dlq-error-type") == "EventDecodeError"
    assert "not JSON" in (header(first, "dlq-error") or "")
    assert header(first, "dlq-original-topic") == settings.topic(CASE_EVENTS)
    assert header(first, "dlq-original-offset") == "1"
    assert header(first, "correlation-id") == "raw-corr"  # original headers kept


async def test_a_handler_that_keeps_failing_dead_letters_only_its_event(
    settings: PlumbingSettings,
) -> None:
    events = [submitted_event(f"第{i}件事情需要处理") for i in range(4)]
    poison = events[2].id
    await send_raw(settings, [e.to_bytes() for e in events])
    handled: list[str] = []

    async def handler(batch: Sequence[Event[CaseSubmitted]]) -> None:
        if any(e.id == poison for e in batch):
            raise ValueError("cannot handle this one")
        handled.extend(e.id for e in batch)

    metrics = Metrics("probe")
    async with running(settings, handler, metrics):
        await wait_for(lambda: len(handled) == 3)
    assert handled == [e.id for e in events if e.id != poison]
    dead = await read_topic(
        settings.kafka_bootstrap,
        settings.topic(dead_letter_topic(f"{settings.service_name}.cases")),
        expect=1,
    )
    assert len(dead) == 1
    assert Envelope.from_bytes(dead[0].value).id == poison
    assert header(dead[0], "dlq-error") == "cannot handle this one"
    assert header(dead[0], "correlation-id") == "raw-corr"
    assert b"minyi_events_dead_lettered_total" in metrics.render()


async def test_transient_failures_are_retried_until_they_pass_and_never_dead_lettered(
    settings: PlumbingSettings,
) -> None:
    event = submitted_event()
    await send_raw(settings, [event.to_bytes()])
    attempts = 0
    handled: list[str] = []

    async def handler(batch: Sequence[Event[CaseSubmitted]]) -> None:
        nonlocal attempts
        attempts += 1
        if attempts <= 4:
            raise TransientError("store is restarting")
        handled.extend(e.id for e in batch)

    async with running(settings, handler):
        await wait_for(lambda: handled == [event.id])
    assert attempts == 5
    dead = await read_topic(
        settings.kafka_bootstrap,
        settings.topic(dead_letter_topic(f"{settings.service_name}.cases")),
    )
    assert dead == []


async def test_offsets_are_committed_after_handling_so_a_restart_resumes_after_them(
    settings: PlumbingSettings,
) -> None:
    first = [submitted_event() for _ in range(3)]
    await send_raw(settings, [e.to_bytes() for e in first])
    seen: list[str] = []

    async def handler(batch: Sequence[Event[CaseSubmitted]]) -> None:
        seen.extend(e.id for e in batch)

    async with running(settings, handler):
        await wait_for(lambda: len(seen) == 3)

    later = submitted_event()
    await send_raw(settings, [later.to_bytes()])
    async with running(settings, handler):
        await wait_for(lambda: len(seen) == 4)
        await asyncio.sleep(1.0)  # time for a wrongful redelivery to show up
    assert seen == [*(e.id for e in first), later.id]


async def test_an_uncommitted_batch_is_redelivered_after_a_crash(
    settings: PlumbingSettings,
) -> None:
    event = submitted_event()
    await send_raw(settings, [event.to_bytes()])
    started = asyncio.Event()

    async def stuck(batch: Sequence[Event[CaseSubmitted]]) -> None:
        started.set()
        await asyncio.Event().wait()  # the process dies here, before the commit

    async with running(settings, stuck):
        await asyncio.wait_for(started.wait(), 20)

    seen: list[str] = []

    async def handler(batch: Sequence[Event[CaseSubmitted]]) -> None:
        seen.extend(e.id for e in batch)

    async with running(settings, handler):
        await wait_for(lambda: seen == [event.id])


async def test_typed_routes_dead_letter_a_payload_that_does_not_fit_and_hand_over_the_rest(
    settings: PlumbingSettings,
) -> None:
    good = [submitted_event(f"第{i}件事") for i in range(3)]
    misfit = submitted_event().model_copy(update={"data": {"case_id": "no-category"}})
    await send_raw(
        settings,
        [good[0].to_bytes(), misfit.to_bytes(), good[1].to_bytes(), good[2].to_bytes()],
    )
    seen: list[tuple[str, str]] = []

    async def new_cases(run: Sequence[Event[CaseSubmitted]]) -> None:
        seen.extend((e.id, e.data.category) for e in run)

    routes = EventRoutes()
    routes.on(CaseSubmitted, new_cases)
    async with running(settings, routes=routes):
        await wait_for(lambda: len(seen) == 3)
    assert seen == [(e.id, "drainage") for e in good]

    group = f"{settings.service_name}.cases"
    dead = await read_topic(
        settings.kafka_bootstrap, settings.topic(dead_letter_topic(group)), expect=1
    )
    assert header(dead[0], "dlq-error-type") == "EventDecodeError"
    assert "invalid case.submitted data" in (header(dead[0], "dlq-error") or "")
    assert header(dead[0], "dlq-original-offset") == "1"
