"""How long the oldest event has been waiting in an outbox: `minyi_outbox_oldest_event_age_seconds`.

The count of pending documents says there is a backlog; the age says whether it is moving (a
relay that cannot reach Kafka leaves the age growing while the count may stay small). Each
outbox entry carries `seq`, the `time.time_ns()` at which it was queued (shared/outbox.py), so
the age is now minus the smallest `seq` pending.

Read through the same sparse index, with the same bound, as the relay's claim: the documents
sampled are the ones the relay takes next, and the cost stays flat however large the backlog —
beyond `SAMPLE_LIMIT` pending documents the figure is the oldest among those, a lower bound."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence

from pymongo.asynchronous.collection import AsyncCollection

from shared.errors import is_transient
from shared.logging import get_logger
from shared.metrics import Metrics
from shared.mongo import Document
from shared.outbox import OUTBOX, OUTBOX_COUNT

log = get_logger(__name__)

SAMPLE_LIMIT = 200
"""As many documents as the relay claims in one pass."""

SAMPLE_EVERY_SECONDS = 10.0
"""Often enough for a scrape every 15 s or more; one bounded indexed read per collection."""


def oldest_seq(documents: Iterable[Document]) -> int | None:
    """The smallest `seq` among these documents' outbox entries; None when there are none."""
    seqs = [
        int(entry["seq"])
        for document in documents
        for entry in (document.get(OUTBOX) or {}).values()
        if isinstance(entry, dict) and "seq" in entry
    ]
    return min(seqs) if seqs else None


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


async def watch_outbox_age(
    collections: Sequence[AsyncCollection[Document]],
    *,
    metrics: Metrics,
    every_s: float = SAMPLE_EVERY_SECONDS,
) -> None:
    """Keep the gauge current, for as long as the service runs."""
    while True:
        try:
            seq = await oldest_pending_seq(collections)
            metrics.outbox_oldest_age.set(age_seconds(seq, now_ns=time.time_ns()))
        except Exception as exc:
            if not is_transient(exc):
                raise
            # The store is away: the gauge keeps its last value; readiness reports the outage.
            log.warning("outbox.age_unavailable", error=str(exc)[:300])
        await asyncio.sleep(every_s)
