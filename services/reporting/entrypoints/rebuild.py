"""Rebuild the read models: drop them, then replay `directory`, `station-activities`, `houses`
and `case-events` from the beginning, showing progress.

While it runs, the live consumers pause (the rebuild lock): a case's events must be folded in
order and the replay starts from the first. The order of steps makes that safe:
1. take the lock and wait `rebuild_grace_seconds`, so a batch the live consumers had already
   started is written before anything is dropped;
2. drop, then take the topics' end offsets and replay up to them, renewing the lock;
3. release the lock. The live consumers resume from their committed offsets: what they meet
   again inside the replayed range is already applied (the `seen`/`applied` guards skip it),
   what came after is theirs.

Records are decoded by the live consumers' routes (`consumers.projection_routes`), so the replay
folds exactly what the consumers fold; a record they would dead-letter is skipped. Sealed
fields are opened with reporting's copy of the case keys, one lookup per fetched batch, as the
live consumers do; an erased case's read as placeholders. A key not here yet (reporting's key
consumer behind) reads as a placeholder too rather than holding the rebuild: reporting keeps no
text, only counts.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TextIO

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.reporting.adapters.read_models import ReadModels
from services.reporting.entrypoints.consumers import TOPICS, projection_routes
from services.reporting.settings import ReportingSettings
from shared.dispatch import Event, EventRoutes
from shared.events.envelope import Envelope, EventData, EventDecodeError
from shared.sealing import KeyLookup, KeyNotHere, cases_of, erase, open_envelope

Progress = Callable[[int, int], None]
# The order of the replay: names, meetings and houses first, then the cases that refer to them.
REPLAY_ORDER = ("directory", "activities", "houses", "cases")


def print_progress(out: TextIO = sys.stderr) -> Progress:
    def show(done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        out.write(f"\rreplayed {done}/{total} events ({percent}%)")
        if done >= total:
            out.write("\n")
        out.flush()

    return show


async def _partitions(settings: ReportingSettings, topic: str) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(**settings.kafka_client_options())
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    found = [
        p["partition"]
        for d in described
        if d.get("topic") == topic and not d.get("error_code")
        for p in d.get("partitions", [])
    ]
    if not found:
        raise RuntimeError(f"topic {topic} does not exist")
    return [TopicPartition(topic, p) for p in sorted(found)]


def _envelope(routes: EventRoutes, value: bytes | None) -> Envelope | None:
    """The envelope of a type something folds, or None (nothing to count, or a record the live
    consumer dead-lettered)."""
    try:
        envelope = Envelope.from_bytes(value)
    except EventDecodeError:
        return None
    return envelope if envelope.type in routes.types else None


async def _decode_all(
    routes: EventRoutes, envelopes: list[Envelope], keys: KeyLookup | None
) -> list[Event[EventData]]:
    found = await keys.lookup(cases_of(envelopes)) if keys is not None else {}
    events: list[Event[EventData]] = []
    for envelope in envelopes:
        try:
            try:
                opened = envelope if keys is None else open_envelope(envelope, found)
            except KeyNotHere:
                opened = envelope.model_copy(update={"data": erase(envelope.type, envelope.data)})
            event = routes.decode(opened)
        except EventDecodeError:
            continue
        if event is not None:
            events.append(event)
    return events


async def rebuild(
    *,
    settings: ReportingSettings,
    read_models: ReadModels,
    progress: Progress,
    keys: KeyLookup | None = None,
    batch: int = 1000,
) -> int:
    """Returns how many records were replayed; `keys`: reporting's copy of the case keys."""
    routes = projection_routes(read_models, replay=True)
    steps = [(TOPICS[purpose], routes[purpose]) for purpose in REPLAY_ORDER]
    # Nothing is dropped unless every topic to rebuild from is there.
    partitions = {topic: await _partitions(settings, settings.topic(topic)) for topic, _ in steps}
    lease = timedelta(seconds=settings.rebuild_lease_seconds)
    await read_models.lock_for_rebuild(now=datetime.now(UTC), lease=lease)
    try:
        await asyncio.sleep(settings.rebuild_grace_seconds)
        await read_models.drop()
        await read_models.ensure_indexes()
        consumer = AIOKafkaConsumer(
            **settings.kafka_client_options(), enable_auto_commit=False, group_id=None
        )
        await consumer.start()
        try:
            every = [tp for tps in partitions.values() for tp in tps]
            ends = await consumer.end_offsets(every)
            starts = await consumer.beginning_offsets(every)
            total = sum(ends[tp] - starts[tp] for tp in every)
            done = 0
            progress(done, total)
            for topic, topic_routes in steps:
                tps = partitions[topic]
                # One topic at a time: a partition assigned without a position can hold up
                # the fetches of the others.
                consumer.assign(tps)
                await consumer.seek_to_beginning(*tps)
                remaining = {tp for tp in tps if ends[tp] > starts[tp]}
                while remaining:
                    fetched = await consumer.getmany(*remaining, timeout_ms=1000, max_records=batch)
                    envelopes: list[Envelope] = []
                    for tp, records in fetched.items():
                        for record in records:
                            if record.offset >= ends[tp]:
                                continue
                            done += 1
                            envelope = _envelope(topic_routes, record.value)
                            if envelope is not None:
                                envelopes.append(envelope)
                        if records and records[-1].offset + 1 >= ends[tp]:
                            remaining.discard(tp)
                    events = await _decode_all(topic_routes, envelopes, keys)
                    if events:
                        await topic_routes.dispatch(events)
                    await read_models.lock_for_rebuild(now=datetime.now(UTC), lease=lease)
                    progress(done, total)
            return done
        finally:
            await consumer.stop()
    finally:
        await read_models.unlock_rebuild()
