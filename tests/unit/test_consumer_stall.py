"""The stall rule readiness uses: behind, and no progress for longer than the window."""

from __future__ import annotations

from shared.consumer import StallWatch

WINDOW = 120.0


def test_a_quiet_consumer_with_nothing_to_read_is_never_stalled() -> None:
    watch = StallWatch(window_s=WINDOW)
    for now in (0.0, 500.0, 10_000.0):
        watch.observe(lag=0, now=now)
    assert not watch.stalled(now=10_000.0)


def test_lag_that_does_not_move_without_a_batch_handled_stalls_after_the_window() -> None:
    watch = StallWatch(window_s=WINDOW)
    watch.observe(lag=5, now=1000.0)
    watch.observe(lag=5, now=1100.0)
    assert not watch.stalled(now=1120.0)  # exactly the window: not yet
    watch.observe(lag=5, now=1121.0)
    assert watch.stalled(now=1121.0)


def test_growing_lag_without_a_batch_handled_stalls() -> None:
    watch = StallWatch(window_s=WINDOW)
    for i, now in enumerate(range(0, 200, 10)):
        watch.observe(lag=10 + i, now=float(now))
    assert watch.stalled(now=190.0)


def test_a_consumer_handling_batches_is_not_stalled_while_its_lag_grows() -> None:
    watch = StallWatch(window_s=WINDOW)
    for i, now in enumerate(range(0, 1000, 10)):
        watch.observe(lag=100 + 5 * i, now=float(now))
        watch.handled(now=float(now))
    assert not watch.stalled(now=1000.0)


def test_falling_lag_counts_as_progress() -> None:
    watch = StallWatch(window_s=WINDOW)
    watch.observe(lag=50, now=0.0)
    watch.observe(lag=40, now=100.0)
    assert not watch.stalled(now=200.0)
    assert watch.stalled(now=221.0)


def test_a_stalled_consumer_recovers_when_it_handles_a_batch_or_catches_up() -> None:
    watch = StallWatch(window_s=WINDOW)
    watch.observe(lag=3, now=0.0)
    assert watch.stalled(now=300.0)
    watch.handled(now=300.0)
    assert not watch.stalled(now=300.0)
    assert watch.stalled(now=421.0)  # still behind and stuck again since the batch
    watch.observe(lag=0, now=421.0)
    assert not watch.stalled(now=10_000.0)


def test_being_behind_is_counted_from_when_it_was_first_seen_not_from_the_last_progress() -> None:
    watch = StallWatch(window_s=WINDOW)
    watch.handled(now=0.0)
    watch.observe(lag=0, now=0.0)
    # A long quiet spell, then records arrive: not stalled the moment they are seen.
    watch.observe(lag=7, now=5000.0)
    assert not watch.stalled(now=5000.0)
