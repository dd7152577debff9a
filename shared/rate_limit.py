"""Per-client rate limiting for public endpoints: a token bucket per client address.

The buckets live in the limiter instance, so the limit is per process: N replicas behind a
load balancer let through up to N times the rate. That bounds abuse without a shared store;
a gateway in front enforces a global limit if one is needed.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Request, status

from shared.openapi import answers

TOO_MANY = "Too many requests from this address: wait as long as `Retry-After` says."


class RateLimiter:
    def __init__(
        self,
        *,
        per_minute: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 100_000,
    ) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock
        self._max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def check(self, client: str) -> float | None:
        """None when the request may go ahead; otherwise the seconds until it may."""
        now = self._clock()
        tokens, last = self._buckets.pop(client, (self._burst, now))
        tokens = min(self._burst, tokens + (now - last) * self._rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[client] = (tokens, now)
        if len(self._buckets) > self._max_clients:
            self._buckets.popitem(last=False)  # forget the longest-idle client
        return None if allowed else (1.0 - tokens) / self._rate


def client_address(request: Request, *, trust_forwarded_for: bool) -> str:
    """The address to limit: the TCP peer, or behind one trusted proxy the address it saw.

    A proxy appends the address that connected to it to `X-Forwarded-For`; everything before
    that entry came from the client and may be forged, so only the last entry is believed."""
    if trust_forwarded_for:
        hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",")]
        if hops[-1]:
            return hops[-1]
    return request.client.host if request.client else "unknown"


def rate_limited(
    limiter: RateLimiter, *, trust_forwarded_for: bool
) -> Callable[[Request], Awaitable[None]]:
    """A FastAPI dependency answering 429 with Retry-After when the client is over its rate."""

    @answers(429, TOO_MANY)
    async def dependency(request: Request) -> None:
        wait = limiter.check(client_address(request, trust_forwarded_for=trust_forwarded_for))
        if wait is not None:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                detail="too many requests from this address; please wait and retry",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )

    return dependency
