"""A job that sets counters from their source on a timer (routing's open loads, reporting's
cases open now): counters moved with each write drift after a crash between the two writes,
and the recount puts them right."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from shared.errors import is_transient
from shared.logging import get_logger

log = get_logger(__name__)


async def recount_every(
    interval_s: float, recount: Callable[[], Awaitable[int]], *, event: str
) -> None:
    """Run `recount` now and then every `interval_s`, logging `event` with the number it
    returns; a store out of reach is logged and tried again at the next turn."""
    while True:
        try:
            log.info(event, count=await recount())
        except Exception as exc:
            if not is_transient(exc):
                raise
            log.warning(f"{event}_unavailable", error=str(exc))
        await asyncio.sleep(interval_s)
