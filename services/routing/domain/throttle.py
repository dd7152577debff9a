"""Sign-in throttling: how long a run of failed sign-ins makes the next attempt wait.

Failures are counted per key (an account, a client address). The first `free_failures` cost
nothing; after n >= free_failures failures the next attempt waits 2^(n - free_failures)
seconds (1, 2, 4, ...), capped at `max_wait`. A record is forgotten `window` after its last
failure, or after the end of its wait when that is later: an attacker who waits out the capped
wait keeps the cap instead of starting again with free attempts.

An attempt is counted as a failure *before* the password is checked (`reserve`), and taken
back on success: otherwise a burst of concurrent guesses would all pass the check before the
first of them was counted.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

# 2^40 seconds is beyond any cap; bounding the exponent keeps the arithmetic small.
_MAX_EXPONENT = 40


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int
    window: timedelta
    max_wait: timedelta

    def __post_init__(self) -> None:
        if self.free_failures < 1:
            raise ValueError("free_failures must be at least 1")
        if self.window <= timedelta(0) or self.max_wait <= timedelta(0):
            raise ValueError("window and max_wait must be positive")

    def wait_after(self, failures: int) -> timedelta | None:
        """How long the attempt after `failures` failures must wait, None for not at all."""
        if failures < self.free_failures:
            return None
        exponent = min(failures - self.free_failures, _MAX_EXPONENT)
        return min(timedelta(seconds=2**exponent), self.max_wait)


@dataclass(frozen=True)
class Failures:
    """One key's record: failures counted, the end of its wait, when it is forgotten."""

    count: int = 0
    locked_until: datetime | None = None
    forget_at: datetime | None = None

    def current(self, now: datetime) -> Failures:
        """The record as it counts now: a forgotten one counts nothing."""
        if self.forget_at is not None and now >= self.forget_at:
            return Failures()
        return self


@dataclass(frozen=True)
class Wait:
    """The attempt is refused: try again after `delay`."""

    delay: timedelta

    @property
    def retry_after_s(self) -> int:
        """Whole seconds for `Retry-After`: rounded up, at least 1."""
        return max(1, math.ceil(self.delay.total_seconds()))


def reserve(record: Failures, *, now: datetime, policy: ThrottlePolicy) -> Failures | Wait:
    """Admit an attempt, counting it as a failure until it succeeds; or how long to wait."""
    record = record.current(now)
    if record.locked_until is not None and now < record.locked_until:
        return Wait(record.locked_until - now)
    count = record.count + 1
    wait = policy.wait_after(count)
    locked_until = now + wait if wait is not None else None
    return Failures(
        count=count,
        locked_until=locked_until,
        forget_at=max(now, locked_until or now) + policy.window,
    )


def forgive(record: Failures, *, now: datetime, policy: ThrottlePolicy) -> Failures:
    """Take back one reserved attempt that succeeded (the address's count; an account that
    signed in is cleared altogether). Back under the free failures, the wait goes too."""
    record = record.current(now)
    count = max(0, record.count - 1)
    if count < policy.free_failures:
        return replace(record, count=count, locked_until=None)
    return replace(record, count=count)


def account_key(username: str) -> str:
    return "account:" + username.strip().lower()[:64]


def address_key(address: str) -> str:
    """An IPv6 client is counted by its /64: one subscriber holds a whole /64 and could
    otherwise take a fresh address for every guess."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return "address:" + address[:64]
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is None:
        network = ipaddress.IPv6Network((parsed, 64), strict=False)
        return f"address:{network}"
    mapped = parsed.ipv4_mapped if isinstance(parsed, ipaddress.IPv6Address) else parsed
    return f"address:{mapped}"
