"""Kafka's side: the consumer groups' committed offsets, every record of every platform topic
partition by partition, and their way back: the records republished in order into the same
partition, then each group's offset committed where its records landed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import RecordMetadata

from minyi_cli.backup.files import (
    file_entry,
    open_lines,
    read_lines,
    record_from_line,
    record_line,
)
from minyi_cli.backup.manifest import GroupOffsets, PartitionEntry, TopicEntry, partition_path
from minyi_cli.backup.offsets import PartitionOffsetMap
from minyi_cli.backup.progress import Steps
from shared.settings import ServiceSettings
from shared.topics import CONSUMER_GROUPS, platform_topics

TIMEOUT_S = 15.0
# A partition read that gets no record for this long while short of its end has stalled.
READ_STALL_S = 30.0
# Records sent before their acknowledgements are awaited.
SEND_WINDOW = 1000


async def open_admin(settings: ServiceSettings) -> AIOKafkaAdminClient:
    admin = AIOKafkaAdminClient(
        **settings.kafka_client_options(), request_timeout_ms=int(TIMEOUT_S * 1000)
    )
    try:
        await asyncio.wait_for(admin.start(), TIMEOUT_S)
    except BaseException:
        await admin.close()
        raise
    return admin


async def existing_partitions(
    admin: AIOKafkaAdminClient, settings: ServiceSettings
) -> dict[str, list[TopicPartition]]:
    """platform topic (without the namespace) → its partitions, for those that exist."""
    names = {settings.topic(spec.name): spec.name for spec in platform_topics()}
    existing = [n for n in await admin.list_topics() if n in names]
    described = await admin.describe_topics(sorted(existing)) if existing else []
    return {
        names[d["topic"]]: sorted(
            (TopicPartition(d["topic"], p["partition"]) for p in d.get("partitions", [])),
            key=lambda tp: tp.partition,
        )
        for d in described
        if not d.get("error_code")
    }


async def created_partitions(
    admin: AIOKafkaAdminClient, settings: ServiceSettings, wanted: dict[str, int]
) -> dict[str, list[TopicPartition]]:
    """`existing_partitions` once every wanted topic shows its partitions: a topic just created
    reaches the broker's metadata a moment later. A topic still short after `TIMEOUT_S` comes
    back short, for the caller to refuse."""
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        found = await existing_partitions(admin, settings)
        short = [t for t, n in wanted.items() if len(found.get(t, [])) < n]
        if not short or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.2)


def _consumer(settings: ServiceSettings, group: str | None = None) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        **settings.kafka_client_options(),
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=int(TIMEOUT_S * 1000),
    )


async def committed_offsets(admin: AIOKafkaAdminClient, settings: ServiceSettings) -> GroupOffsets:
    """Every platform consumer group's committed offsets on the namespace's topics."""
    bases = {settings.topic(spec.name): spec.name for spec in platform_topics()}
    offsets: GroupOffsets = {}
    for group in CONSUMER_GROUPS:
        committed = await admin.list_consumer_group_offsets(settings.topic(group))
        for tp, meta in committed.items():
            if tp.topic in bases and meta.offset >= 0:
                topic = offsets.setdefault(group, {}).setdefault(bases[tp.topic], {})
                topic[tp.partition] = meta.offset
    return offsets


async def record_counts(
    settings: ServiceSettings, partitions: dict[str, list[TopicPartition]]
) -> dict[str, int]:
    """topic → records it holds now (end minus start offsets)."""
    every = [tp for tps in partitions.values() for tp in tps]
    if not every:
        return {}
    consumer = _consumer(settings)
    await asyncio.wait_for(consumer.start(), TIMEOUT_S)
    try:
        ends = await consumer.end_offsets(every)
        starts = await consumer.beginning_offsets(every)
    finally:
        await consumer.stop()
    return {topic: sum(ends[tp] - starts[tp] for tp in tps) for topic, tps in partitions.items()}


async def _dump_partition(
    consumer: AIOKafkaConsumer,
    tp: TopicPartition,
    *,
    start: int,
    end: int,
    directory: Path,
    relative: str,
    steps: Steps,
) -> int:
    count = 0
    last_progress = time.monotonic()
    with open_lines(directory, relative) as out:
        if start >= end:
            return 0  # nothing to read: assigning it would cost a fetch's wait
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        while await consumer.position(tp) < end:
            batch = await consumer.getmany(tp, timeout_ms=500, max_records=2000)
            records = [r for r in batch.get(tp, []) if r.offset < end]
            if not records:
                if time.monotonic() - last_progress > READ_STALL_S:
                    raise TimeoutError(f"{tp.topic}/{tp.partition}: no record read for 30 s")
                continue
            last_progress = time.monotonic()
            out.write(
                "\n".join(
                    record_line(
                        offset=r.offset,
                        timestamp=r.timestamp,
                        key=r.key,
                        value=r.value,
                        headers=[(name, bytes(data)) for name, data in r.headers or ()],
                    )
                    for r in records
                )
                + "\n"
            )
            count += len(records)
            steps.advance(len(records))
    return count


async def dump_topics(
    settings: ServiceSettings,
    partitions: dict[str, list[TopicPartition]],
    directory: Path,
    steps: Steps,
) -> list[TopicEntry]:
    """Every record below each partition's end offset as it is now."""
    every = [tp for tps in partitions.values() for tp in tps]
    if not every:
        return []
    consumer = _consumer(settings)
    await asyncio.wait_for(consumer.start(), TIMEOUT_S)
    try:
        ends = await consumer.end_offsets(every)
        starts = await consumer.beginning_offsets(every)
        entries = []
        for topic, tps in sorted(partitions.items()):
            parts = []
            for tp in tps:
                relative = partition_path(topic, tp.partition)
                steps.begin(f"{tp.topic}/{tp.partition}", ends[tp] - starts[tp])
                records = await _dump_partition(
                    consumer,
                    tp,
                    start=starts[tp],
                    end=ends[tp],
                    directory=directory,
                    relative=relative,
                    steps=steps,
                )
                steps.end()
                parts.append(
                    PartitionEntry(
                        partition=tp.partition,
                        records=records,
                        end_offset=ends[tp],
                        file=file_entry(directory, relative),
                    )
                )
            entries.append(
                TopicEntry(name=topic, records=sum(p.records for p in parts), partitions=parts)
            )
        return entries
    finally:
        await consumer.stop()


def _committed_on(offsets: GroupOffsets, topic: str, partition: int) -> list[int]:
    return [
        by_partition[partition]
        for topics in offsets.values()
        if (by_partition := topics.get(topic)) is not None and partition in by_partition
    ]


async def _restore_partition(
    producer: AIOKafkaProducer,
    name: str,
    entry: PartitionEntry,
    *,
    offsets: PartitionOffsetMap,
    directory: Path,
    steps: Steps,
) -> None:
    window: list[tuple[int, asyncio.Future[RecordMetadata]]] = []

    async def drain() -> None:
        for original, sent in window:
            metadata = await sent
            offsets.restored(original=original, restored=metadata.offset)
        steps.advance(len(window))
        window.clear()

    for line in read_lines(directory, entry.file.path):
        record = record_from_line(line)
        sent = await producer.send(
            name,
            value=record["value"],
            key=record["key"],
            partition=entry.partition,
            # A record without one (-1) gets the time it is restored.
            timestamp_ms=record["timestamp"] if record["timestamp"] >= 0 else None,
            headers=record["headers"],
        )
        window.append((record["offset"], sent))
        if len(window) >= SEND_WINDOW:
            await drain()
    await drain()


async def restore_topics(
    settings: ServiceSettings,
    topics: Sequence[TopicEntry],
    group_offsets: GroupOffsets,
    partitions: dict[str, list[TopicPartition]],
    directory: Path,
    steps: Steps,
) -> dict[str, dict[TopicPartition, int]]:
    """Republishes every partition's records in order into the same partition; returns each
    group's offsets carried over to where the records landed (full name → offsets)."""
    every = [tp for tps in partitions.values() for tp in tps]
    for topic in topics:
        found = len(partitions.get(topic.name, []))
        if found < len(topic.partitions):
            raise ValueError(
                f"{settings.topic(topic.name)} has {found} partition(s), the backup "
                f"{len(topic.partitions)}: delete it and run `minyi topics ensure`, or raise them"
            )
    consumer = _consumer(settings)
    await asyncio.wait_for(consumer.start(), TIMEOUT_S)
    try:
        ends = await consumer.end_offsets(every) if every else {}
    finally:
        await consumer.stop()
    producer = AIOKafkaProducer(
        **settings.kafka_client_options(),
        client_id="minyi-restore",
        # Idempotent: a retried batch is not written twice, and the order within a partition
        # is the order sent.
        enable_idempotence=True,
        acks="all",
        linger_ms=20,
        compression_type="gzip",
        request_timeout_ms=int(TIMEOUT_S * 1000),
    )
    await asyncio.wait_for(producer.start(), TIMEOUT_S)
    maps: dict[tuple[str, int], PartitionOffsetMap] = {}
    try:
        for topic in topics:
            name = settings.topic(topic.name)
            for entry in topic.partitions:
                offsets = PartitionOffsetMap(
                    _committed_on(group_offsets, topic.name, entry.partition),
                    end_offset=ends[TopicPartition(name, entry.partition)],
                )
                maps[(topic.name, entry.partition)] = offsets
                steps.begin(f"{name}/{entry.partition}", entry.records)
                await _restore_partition(
                    producer, name, entry, offsets=offsets, directory=directory, steps=steps
                )
                steps.end()
    finally:
        await producer.stop()
    return {
        settings.topic(group): {
            TopicPartition(settings.topic(topic), partition): maps[(topic, partition)].mapped(
                offset
            )
            for topic, by_partition in by_topic.items()
            for partition, offset in by_partition.items()
        }
        for group, by_topic in group_offsets.items()
    }


async def commit_group_offsets(
    settings: ServiceSettings, offsets: dict[str, dict[TopicPartition, int]]
) -> None:
    """Commits each group's offsets as its own consumer would; the group must have no running
    member (the services are stopped during a restore)."""
    for group, committed in offsets.items():
        if not committed:
            continue
        consumer = _consumer(settings, group)
        await asyncio.wait_for(consumer.start(), TIMEOUT_S)
        try:
            consumer.assign(list(committed))
            await consumer.commit(committed)
        finally:
            await consumer.stop()
