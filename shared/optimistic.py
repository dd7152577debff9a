"""Commands that apply to a record as it is now, over a version-guarded write."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

ATTEMPTS = 3


async def on_current_state(
    attempt: Callable[[], Awaitable[T]],
    *,
    lost_race: type[Exception],
    attempts: int = ATTEMPTS,
) -> T:
    """Run `attempt` again while its version-guarded write loses the race.

    A command that names no version means "to the record as it is now": a consumer's write
    landing between the read and the write (a resident's answer, the SLA watch moving) must not
    fail a person's click. Each attempt reads and decides afresh, so a change that makes the
    command wrong (the case closed meanwhile) still refuses it with the real reason. Only a
    record that keeps changing under every attempt gives up with `lost_race`.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for left in range(attempts - 1, -1, -1):
        try:
            return await attempt()
        except lost_race:
            if not left:
                raise
    raise AssertionError("unreachable")
