"""Looks for SLA breaches and passed supervision deadlines on a timer. Safe to run in every
routing replica at once: each escalation is a conditional single-document update, so exactly
one replica wins it, and the flags live in the store, so a restart neither repeats nor forgets
one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.handlers.sla import escalate_breaches
from services.routing.handlers.supervision import escalate_supervisions
from shared.errors import is_transient
from shared.logging import get_logger, new_correlation_id
from shared.outbox import OutboxRelay

log = get_logger(__name__)

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class SlaScheduler:
    def __init__(
        self,
        *,
        cases: RoutedCaseRepository,
        relay: OutboxRelay,
        interval_s: float,
        clock: Clock = system_clock,
    ) -> None:
        self._cases = cases
        self._relay = relay
        self._interval_s = interval_s
        self._clock = clock

    async def run_once(self) -> int:
        now = self._clock()
        escalated = await escalate_breaches(
            cases=self._cases, now=now, correlation_id=new_correlation_id()
        )
        escalated += await escalate_supervisions(
            cases=self._cases, now=now, correlation_id=new_correlation_id()
        )
        if escalated:
            self._relay.wake()
        return escalated

    async def run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception as exc:
                if not is_transient(exc):
                    raise
                log.warning("sla.check_unavailable", error=str(exc))
            await asyncio.sleep(self._interval_s)
