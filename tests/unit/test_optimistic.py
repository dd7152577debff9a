"""A command without a version is decided again when its guarded write loses a race."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from shared.optimistic import on_current_state


class Lost(Exception):
    pass


def attempts_losing(times: int) -> tuple[list[int], Callable[[], Awaitable[str]]]:
    calls: list[int] = []

    async def attempt() -> str:
        calls.append(len(calls) + 1)
        if len(calls) <= times:
            raise Lost
        return f"applied on attempt {len(calls)}"

    return calls, attempt


def test_a_lost_race_is_decided_again_on_the_current_state() -> None:
    calls, attempt = attempts_losing(2)
    result = asyncio.run(on_current_state(attempt, lost_race=Lost))
    assert result == "applied on attempt 3"
    assert calls == [1, 2, 3]


def test_a_record_that_keeps_changing_gives_up_with_the_conflict() -> None:
    calls, attempt = attempts_losing(5)
    with pytest.raises(Lost):
        asyncio.run(on_current_state(attempt, lost_race=Lost, attempts=3))
    assert calls == [1, 2, 3]


def test_other_refusals_are_not_retried() -> None:
    calls: list[int] = []

    async def attempt() -> str:
        calls.append(1)
        raise PermissionError("the case is closed")

    with pytest.raises(PermissionError):
        asyncio.run(on_current_state(attempt, lost_race=Lost))
    assert calls == [1]


def test_at_least_one_attempt() -> None:
    async def attempt() -> str:
        return "x"

    with pytest.raises(ValueError, match="at least 1"):
        asyncio.run(on_current_state(attempt, lost_race=Lost, attempts=0))
