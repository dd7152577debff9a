"""Reading a topic from the beginning, as a downstream system would, without a group."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition


async def read_topic(
    bootstrap: str, topic: str, *, expect: int = 0, timeout_s: float = 20.0
) -> list[Any]:
    """Every record now on the topic; waits until at least `expect` are there."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic)
        deadline = time.monotonic() + timeout_s
        while not partitions:
            if time.monotonic() > deadline:
                raise AssertionError(f"topic {topic} does not exist")
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic)
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records: list[Any] = []
        while True:
            ends = await consumer.end_offsets(tps)
            positions = {tp: await consumer.position(tp) for tp in tps}
            if len(records) >= expect and all(positions[tp] >= ends[tp] for tp in tps):
                return records
            if time.monotonic() > deadline:
                raise AssertionError(f"{topic}: wanted {expect} records, found {len(records)}")
            batch = await consumer.getmany(timeout_ms=200)
            for recs in batch.values():
                records.extend(recs)
            if not batch:
                await asyncio.sleep(0.05)
    finally:
        await consumer.stop()


def header(record: Any, name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            return bytes(value).decode()
    return None
