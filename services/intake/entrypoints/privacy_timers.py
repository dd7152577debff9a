"""intake's two privacy timers, safe in every replica at once.

- `ErasureFinisher`: finishes erasures after their write (photos, log, the contact's tombstone
  and, for a whole erasure, the case key's), of cases and of "me too" supporters' records.
  Woken by every erasure; otherwise it looks every few seconds, through a sparse index that
  holds only unfinished erasures. Two replicas finishing the same one do the same idempotent
  things twice (a second tombstone for a key deletes nothing more).
- `RetentionScheduler`: erases the contact of cases that ended `MINYI_CONTACT_RETENTION_DAYS`
  ago, and of their supporters, every `MINYI_RETENTION_CHECK_SECONDS`. Each case is erased by
  a version-guarded write, so exactly one replica wins it; the clock can be moved by hand in
  tests, as the SLA scheduler's.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from services.intake.adapters.erasure import ContactTombstones, ErasureRepository
from services.intake.domain.erasure import retention_cutoff
from services.intake.handlers.erasure import (
    RETENTION_PAGE,
    RetentionPass,
    expire_contacts,
    finish_erasures,
)
from shared.case_keys import KeyTombstones
from shared.errors import is_transient
from shared.logging import get_logger, new_correlation_id
from shared.outbox import OutboxRelay
from shared.producer import EventPublisher

log = get_logger(__name__)

Clock = Callable[[], datetime]

# Unfinished erasures are rare and every erasure wakes the finisher: the poll only catches
# those of other processes (the CLI, another replica) and those a crash left behind.
FINISHER_POLL_S = 2.0
# While an erasure waits for its case's outbox to drain (the relay is usually milliseconds
# away from it), look again soon.
DRAIN_WAIT_S = 0.2


def system_clock() -> datetime:
    return datetime.now(UTC)


class ErasureFinisher:
    def __init__(
        self,
        *,
        erasures: ErasureRepository,
        tombstones: ContactTombstones,
        key_tombstones: KeyTombstones,
        publisher: EventPublisher,
        clock: Clock = system_clock,
    ) -> None:
        self._erasures = erasures
        self._tombstones = tombstones
        self._key_tombstones = key_tombstones
        self._publisher = publisher
        self._clock = clock
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self) -> tuple[int, int]:
        """(finished, still waiting for their outbox)."""

        async def tombstone(key: str) -> None:
            await self._tombstones.publish(key, reason="erasure")

        return await finish_erasures(
            erasures=self._erasures,
            tombstone=tombstone,
            shred=self._key_tombstones.publish,
            now=self._clock(),
        )

    async def run(self) -> None:
        await self._publisher.wait_started()
        delay = DRAIN_WAIT_S
        while True:
            self._wake.clear()
            try:
                _, waiting = await self.run_once()
                delay = DRAIN_WAIT_S
            except Exception as exc:
                if not is_transient(exc):
                    raise
                log.warning("erasure.finish_unavailable", error=str(exc), retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            wait = DRAIN_WAIT_S if waiting else FINISHER_POLL_S
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()


class RetentionScheduler:
    def __init__(
        self,
        *,
        erasures: ErasureRepository,
        relay: OutboxRelay,
        wake_finisher: Callable[[], None],
        retention_days: int,
        interval_s: float,
        clock: Clock = system_clock,
    ) -> None:
        self._erasures = erasures
        self._relay = relay
        self._wake_finisher = wake_finisher
        self._retention_days = retention_days
        self._interval_s = interval_s
        self._clock = clock

    async def run_once(self, among: Sequence[str] | None = None) -> RetentionPass:
        done = await expire_contacts(
            erasures=self._erasures,
            now=self._clock(),
            retention_days=self._retention_days,
            correlation_id=new_correlation_id(),
            among=among,
        )
        if done.expired:
            self._relay.wake()
            self._wake_finisher()
        return done

    async def run_pass(self) -> None:
        """Every case due now. A backlog (the first run on an old store) has its ids read once,
        then goes a page at a time by `_id`."""
        if not (await self.run_once()).full_page:
            return
        cutoff = retention_cutoff(self._clock(), days=self._retention_days)
        backlog = await self._erasures.due_ids(cutoff=cutoff)
        for start in range(0, len(backlog), RETENTION_PAGE):
            await self.run_once(among=backlog[start : start + RETENTION_PAGE])

    async def run(self) -> None:
        while True:
            try:
                await self.run_pass()
            except Exception as exc:
                if not is_transient(exc):
                    raise
                log.warning("retention.check_unavailable", error=str(exc))
            await asyncio.sleep(self._interval_s)
