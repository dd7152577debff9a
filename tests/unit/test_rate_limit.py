"""The token bucket behind intake's 429s."""

from __future__ import annotations

from shared.rate_limit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_the_client_waits_for_the_refill() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=3, clock=clock)
    assert [limiter.check("a") for _ in range(3)] == [None, None, None]
    wait = limiter.check("a")
    assert wait is not None and 0.9 < wait <= 1.0
    clock.now += 1.0
    assert limiter.check("a") is None


def test_clients_have_separate_buckets() -> None:
    limiter = RateLimiter(per_minute=1, burst=1, clock=Clock())
    assert limiter.check("a") is None
    assert limiter.check("a") is not None
    assert limiter.check("b") is None


def test_the_limiter_forgets_the_longest_idle_clients_beyond_its_size() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=1, burst=1, clock=clock, max_clients=2)
    limiter.check("a")
    limiter.check("b")
    limiter.check("c")  # "a" is forgotten and starts with a full bucket again
    assert limiter.check("a") is None
    assert limiter.check("c") is not None
