"""How long the oldest event has been waiting in an outbox: `minyi_outbox_oldest_event_age_seconds`.

The count of pending documents says there is a backlog; the age says whether it is moving (a
relay that cannot reach Kafka leaves the age growing while the count may stay small). Each
outbox entry carries `seq`, the `time.time_ns()` at which it was queued (shared/outbox.py), so
the age is now minus the smallest `seq` pending.

While the relay runs, the figure is the oldest event among what its last pass read (the batch
it claimed, which need not hold the oldest of a backlog: the figure is then a lower bound), and
costs nothing more. When the relay has not read for two sampling periods (it is
not running, or waits for Kafka to start), the pending documents are read here, through the
same sparse index with the same bound as the relay's poll: beyond `SAMPLE_LIMIT` pending
documents the figure is the oldest among those, a lower bound. The local store reads every
pending document for that read whatever the limit, so it is kept for when the relay is away."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from pymongo.asynchronous.collection import AsyncCollection

from shared.errors import is_transient
from shared.logging import get_logger
from shared.metrics import Metrics
from shared.mongo import Document
from shared.outbox import OUTBOX, OUTBOX_COUNT, OutboxRelay, oldest_seq

log = get_logger(__name__)

SAMPLE_LIMIT = 200
"""As many documents as the relay claims in one pass."""

SAMPLE_EVERY_SECONDS = 10.0
"""Often enough for a scrape every 15 s or more; one bounded indexed read per collection."""


def age_seconds(seq: int | None, *, now_ns: int) -> float:
    """Seconds since `seq` was queued; 0 when nothing is pending (or the clocks disagree)."""
    if seq is None:
        return 0.0
    return max(now_ns - seq, 0) / 1e9


async def oldest_pending_seq(collections: Sequence[AsyncCollection[Document]]) -> int | None:
    oldest: int | None = None
    for collection in collections:
        documents = (
            await collection.find({OUTBOX_COUNT: {"$gt": 0}}, {OUTBOX: 1})
            .limit(SAMPLE_LIMIT)
            .to_list()
        )
        seq = oldest_seq(documents)
        if seq is not None and (oldest is None or seq < oldest):
            oldest = seq
    return oldest


async def relay_oldest_seq(relay: OutboxRelay, *, fresh_s: float) -> int | None:
    """What the relay's last pass read, when that was within `fresh_s`; otherwise (a relay not
    running, or waiting for Kafka to start) a read of its collections."""
    read = relay.last_read
    if read is not None and time.monotonic() - read.at <= fresh_s:
        return read.oldest
    return await oldest_pending_seq(relay.collections)


async def watch_outbox_age(
    relays: Sequence[OutboxRelay],
    *,
    metrics: Metrics,
    every_s: float = SAMPLE_EVERY_SECONDS,
) -> None:
    """Keep the gauge current, for as long as the service runs."""
    while True:
        try:
            seqs = [await relay_oldest_seq(r, fresh_s=2 * every_s) for r in relays]
            known = [seq for seq in seqs if seq is not None]
            seq = min(known) if known else None
            metrics.outbox_oldest_age.set(age_seconds(seq, now_ns=time.time_ns()))
        except Exception as exc:
            if not is_transient(exc):
                raise
            # The store is away: the gauge keeps its last value; readiness reports the outage.
            log.warning("outbox.age_unavailable", error=str(exc)[:300])
        await asyncio.sleep(every_s)
