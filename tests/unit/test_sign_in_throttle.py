"""How long failed sign-ins make the next attempt wait (the pure rules of domain/throttle.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.routing.domain.throttle import (
    Failures,
    ThrottlePolicy,
    Wait,
    account_key,
    address_key,
    forgive,
    reserve,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
POLICY = ThrottlePolicy(5, window=timedelta(minutes=15), max_wait=timedelta(minutes=15))


def failed(times: int) -> Failures:
    """`times` failures, each as soon as the one before allows, the last one at T0."""
    waits = [POLICY.wait_after(n) or timedelta(0) for n in range(1, times)]
    now = T0 - sum(waits, timedelta(0))
    record = Failures()
    for wait in [*waits, timedelta(0)]:
        decided = reserve(record, now=now, policy=POLICY)
        assert isinstance(decided, Failures), f"refused after {record.count} failures"
        record, now = decided, now + wait
    return record


def seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def test_the_first_failures_cost_nothing_then_waits_double_up_to_the_cap() -> None:
    waits = [seconds(POLICY.wait_after(n)) for n in range(1, 17)]

    assert waits == [None, None, None, None, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]


def test_an_absurd_failure_count_still_waits_the_cap() -> None:
    assert POLICY.wait_after(10**9) == timedelta(minutes=15)


def test_after_five_failures_the_sixth_attempt_waits_one_second() -> None:
    record = failed(5)

    refused = reserve(record, now=T0 + timedelta(milliseconds=300), policy=POLICY)

    assert refused == Wait(timedelta(milliseconds=700))
    assert isinstance(refused, Wait) and refused.retry_after_s == 1


def test_once_the_wait_is_over_the_attempt_is_admitted_and_counted() -> None:
    record = failed(5)

    admitted = reserve(record, now=T0 + timedelta(seconds=1), policy=POLICY)

    assert isinstance(admitted, Failures)
    assert admitted.count == 6
    assert admitted.locked_until == T0 + timedelta(seconds=3)  # 2 s after this attempt


def test_a_long_wait_is_given_in_whole_seconds_rounded_up() -> None:
    assert Wait(timedelta(seconds=899.2)).retry_after_s == 900
    assert Wait(timedelta(0)).retry_after_s == 1


def test_failures_are_forgotten_a_window_after_the_last_one() -> None:
    record = failed(4)
    later = T0 + timedelta(minutes=15)

    admitted = reserve(record, now=later, policy=POLICY)

    assert isinstance(admitted, Failures) and admitted.count == 1
    assert failed(4).current(later - timedelta(seconds=1)).count == 4


def test_waiting_out_the_capped_wait_does_not_bring_back_free_attempts() -> None:
    record = failed(15)  # the 15th failure sets the capped wait
    assert record.locked_until == T0 + timedelta(minutes=15)

    after_wait = reserve(record, now=T0 + timedelta(minutes=15), policy=POLICY)

    assert isinstance(after_wait, Failures) and after_wait.count == 16
    assert after_wait.locked_until == T0 + timedelta(minutes=30)


def test_forgiving_a_success_takes_back_one_failure_and_the_wait_it_caused() -> None:
    record = failed(5)

    forgiven = forgive(record, now=T0, policy=POLICY)

    assert (forgiven.count, forgiven.locked_until) == (4, None)
    assert forgive(Failures(), now=T0, policy=POLICY).count == 0


def test_forgiving_above_the_free_failures_keeps_the_wait() -> None:
    record = failed(7)

    forgiven = forgive(record, now=T0, policy=POLICY)

    assert forgiven.count == 6
    assert forgiven.locked_until == record.locked_until


@pytest.mark.parametrize(
    ("free", "window", "cap"),
    [(0, timedelta(minutes=1), timedelta(minutes=1)), (5, timedelta(0), timedelta(minutes=1))],
)
def test_a_policy_that_could_never_throttle_is_refused(
    free: int, window: timedelta, cap: timedelta
) -> None:
    with pytest.raises(ValueError):
        ThrottlePolicy(free, window=window, max_wait=cap)


def test_an_account_is_counted_whatever_the_case_or_spacing_of_its_name() -> None:
    assert account_key(" Xijie-Staff ") == account_key("xijie-staff") == "account:xijie-staff"


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.7", "address:203.0.113.7"),
        ("::ffff:203.0.113.7", "address:203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "address:2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "address:2001:db8:1:2::/64"),
        ("testclient", "address:testclient"),
    ],
)
def test_an_ipv6_client_is_counted_by_its_64_bit_prefix(address: str, key: str) -> None:
    assert address_key(address) == key
