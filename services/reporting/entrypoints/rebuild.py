"""Rebuild the read models: drop them, then replay `case-events` from the beginning.

Order matters, and makes the rebuild safe while the service keeps consuming: drop first, THEN
take the topic's end offsets and replay up to them. An event the live consumer applies meanwhile
is either inside the replayed range (applied twice: the per-bucket `seen` guard makes the second
a no-op) or after it (applied by the live consumer only). Nothing is lost, nothing is doubled.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.reporting.adapters.read_models import ReadModels
from services.reporting.domain.counters import CounterDelta, deltas_for
from shared.events.envelope import Envelope, EventDecodeError
from shared.settings import ServiceSettings
from shared.topics import CASE_EVENTS

Progress = Callable[[int, int], None]


def print_progress(out: TextIO = sys.stderr) -> Progress:
    def show(done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        out.write(f"\rreplayed {done}/{total} events ({percent}%)")
        if done >= total:
            out.write("\n")
        out.flush()

    return show


async def _partitions(settings: ServiceSettings, topic: str) -> list[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    found = [
        p["partition"]
        for d in described
        if d.get("topic") == topic
        for p in d.get("partitions", [])
    ]
    if not found:
        raise RuntimeError(f"topic {topic} does not exist")
    return sorted(found)


async def rebuild(
    *, settings: ServiceSettings, read_models: ReadModels, progress: Progress, batch: int = 1000
) -> int:
    """Returns how many events were replayed."""
    topic = settings.topic(CASE_EVENTS)
    # Nothing is dropped unless the topic to rebuild from is there.
    partitions = [TopicPartition(topic, p) for p in await _partitions(settings, topic)]
    await read_models.drop()
    await read_models.ensure_indexes()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        total = sum(ends[tp] - starts[tp] for tp in partitions)
        done = 0
        progress(done, total)
        remaining = {tp for tp in partitions if ends[tp] > starts[tp]}
        while remaining:
            fetched = await consumer.getmany(*remaining, timeout_ms=1000, max_records=batch)
            changes: list[tuple[str, CounterDelta]] = []
            for tp, records in fetched.items():
                for record in records:
                    if record.offset >= ends[tp]:
                        continue
                    done += 1
                    try:
                        envelope = Envelope.from_bytes(record.value)
                    except EventDecodeError:
                        continue  # the live consumer dead-lettered it; nothing to count
                    changes.extend((envelope.id, d) for d in deltas_for(envelope))
                if records and records[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
            if changes:
                await read_models.apply(changes)
            progress(done, total)
        return done
    finally:
        await consumer.stop()
