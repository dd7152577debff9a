"""Sets the representatives' open-load counters from the cases on a timer (see
adapters/open_loads.py for why the counters can drift after a crash)."""

from __future__ import annotations

import asyncio

from services.routing.adapters.open_loads import OpenLoads
from shared.errors import is_transient
from shared.logging import get_logger

log = get_logger(__name__)


async def recount_loads(*, loads: OpenLoads, interval_s: float) -> None:
    while True:
        try:
            holders = await loads.recount()
            log.info("routing.loads_recounted", representatives=holders)
        except Exception as exc:
            if not is_transient(exc):
                raise
            log.warning("routing.loads_recount_unavailable", error=str(exc))
        await asyncio.sleep(interval_s)
