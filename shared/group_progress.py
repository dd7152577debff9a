"""Whether a consumer group has consumed a topic as far as it reached at some moment.

A replica that serves from what its service's consumer stored (shared.token_versions) may need
to know that the store holds everything published before it started, whichever replica of the
group holds the partitions: the group's committed offsets say so (the consumer commits only
after its handler stored the batch), and the broker answers for every replica alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from shared.logging import get_logger
from shared.settings import ServiceSettings

log = get_logger(__name__)


def consumed_to(*, committed: Mapping[int, int], targets: Mapping[int, int]) -> bool:
    """Whether every partition's committed offset has reached its target (an empty partition,
    target 0, needs nothing; a group that never committed has -1)."""
    return all(committed.get(partition, -1) >= end for partition, end in targets.items() if end)


async def end_offsets(settings: ServiceSettings, *, topic: str) -> dict[int, int] | None:
    """Where each partition of `topic` ends now; None while the topic does not exist."""
    admin = AIOKafkaAdminClient(**settings.kafka_client_options())
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = [
        int(p["partition"]) for t in described if t.get("error_code") == 0 for p in t["partitions"]
    ]
    if not partitions:
        return None
    consumer = AIOKafkaConsumer(**settings.kafka_client_options(), group_id=None)
    await consumer.start()
    try:
        ends = await consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
    finally:
        await consumer.stop()
    return {tp.partition: int(offset) for tp, offset in ends.items()}


async def committed_offsets(
    admin: AIOKafkaAdminClient, *, group: str, topic: str
) -> dict[int, int]:
    offsets = await admin.list_consumer_group_offsets(group)
    return {tp.partition: int(meta.offset) for tp, meta in offsets.items() if tp.topic == topic}


async def wait_until_consumed(
    settings: ServiceSettings, *, group: str, topic: str, poll_s: float = 0.2
) -> None:
    """Return once `group` has consumed `topic` as far as it reached when this was called (or,
    if the broker could not be asked then, when it first could)."""
    targets: dict[int, int] | None = None
    delay = poll_s
    while True:
        try:
            while targets is None:
                targets = await end_offsets(settings, topic=topic)
                if targets is None:
                    await asyncio.sleep(poll_s)  # the topic is being created
            await _poll_until_consumed(
                settings, group=group, topic=topic, targets=targets, poll_s=poll_s
            )
            return
        except (KafkaError, OSError, TimeoutError) as exc:
            log.warning("group_progress.unavailable", group=group, error=str(exc))
            delay = min(delay * 2, settings.consumer_retry_max_seconds)
            await asyncio.sleep(delay)


async def _poll_until_consumed(
    settings: ServiceSettings,
    *,
    group: str,
    topic: str,
    targets: Mapping[int, int],
    poll_s: float,
) -> None:
    if consumed_to(committed={}, targets=targets):
        return  # nothing was ever published: no need to ask the group
    admin = AIOKafkaAdminClient(**settings.kafka_client_options())
    await admin.start()
    try:
        while True:
            committed = await committed_offsets(admin, group=group, topic=topic)
            if consumed_to(committed=committed, targets=targets):
                return
            await asyncio.sleep(poll_s)
    finally:
        await admin.close()
