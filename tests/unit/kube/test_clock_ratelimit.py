"""Fake clock, rate limiters and backoff: exact delays, driven by a fake clock."""

from __future__ import annotations

import asyncio
import random

import pytest

from ark.kube.clock import FakeClock
from ark.kube.ratelimit import (
    Backoff,
    BucketRateLimiter,
    ItemExponentialFailureRateLimiter,
    MaxOfRateLimiter,
    default_controller_rate_limiter,
)


def test_fake_clock_fires_timers_in_deadline_order_at_their_deadline() -> None:
    clock = FakeClock(start=0.0)
    fired: list[tuple[str, float]] = []
    clock.call_later(3, lambda: fired.append(("c", clock.now())))
    clock.call_later(1, lambda: fired.append(("a", clock.now())))
    cancelled = clock.call_later(2, lambda: fired.append(("x", clock.now())))
    clock.call_later(2, lambda: fired.append(("b", clock.now())))
    cancelled.cancel()
    clock.advance(2.5)
    assert fired == [("a", 1.0), ("b", 2.0)]
    assert clock.now() == 2.5
    assert clock.pending_timers() == 1
    clock.advance(10)
    assert fired[-1] == ("c", 3.0)
    assert clock.next_deadline() is None


def test_fake_clock_timer_scheduled_by_a_timer_fires_in_the_same_advance() -> None:
    clock = FakeClock(start=0.0)
    fired: list[float] = []

    def first() -> None:
        fired.append(clock.now())
        clock.call_later(1, lambda: fired.append(clock.now()))

    clock.call_later(1, first)
    clock.advance(5)
    assert fired == [1.0, 2.0]


def test_fake_clock_refuses_to_go_backwards_and_tracks_wall_time() -> None:
    clock = FakeClock(start=0.0)
    start = clock.wall()
    clock.advance(90)
    assert (clock.wall() - start).total_seconds() == 90
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)


async def test_fake_clock_sleep_wakes_only_when_advanced() -> None:
    clock = FakeClock()
    sleeper = asyncio.create_task(clock.sleep(5))
    await asyncio.sleep(0)
    clock.advance(4.9)
    await asyncio.sleep(0)
    assert not sleeper.done()
    clock.advance(0.1)
    await asyncio.wait_for(sleeper, 1)


def test_exponential_limiter_doubles_from_5ms_and_caps_at_1000s() -> None:
    limiter = ItemExponentialFailureRateLimiter[str]()
    delays = [limiter.when("a") for _ in range(20)]
    assert delays[:4] == [0.005, 0.01, 0.02, 0.04]
    assert delays[17] == pytest.approx(0.005 * 2**17)  # 655 s, still under the cap
    assert delays[18] == 1000.0
    assert delays[19] == 1000.0
    assert limiter.num_requeues("a") == 20
    assert limiter.when("b") == 0.005, "items are independent"
    limiter.forget("a")
    assert limiter.num_requeues("a") == 0
    assert limiter.when("a") == 0.005


def test_exponential_limiter_survives_huge_failure_counts() -> None:
    limiter = ItemExponentialFailureRateLimiter[str](0.005, 1000.0)
    for _ in range(1500):
        delay = limiter.when("a")
    assert delay == 1000.0


def test_bucket_limiter_allows_a_burst_then_spaces_at_qps() -> None:
    clock = FakeClock()
    limiter = BucketRateLimiter[str](qps=10, burst=100, clock=clock)
    assert [limiter.when(str(i)) for i in range(100)] == [0.0] * 100
    assert limiter.when("x") == pytest.approx(0.1)
    assert limiter.when("y") == pytest.approx(0.2)
    clock.advance(0.3)  # refills 3 tokens, 2 of which pay back the overdraft
    assert limiter.when("z") == pytest.approx(0.0, abs=1e-9)
    assert limiter.when("w") == pytest.approx(0.1)
    clock.advance(1000)
    assert [limiter.when(str(i)) for i in range(100)] == [0.0] * 100, "refill is capped at the burst"
    assert limiter.when("again") > 0
    assert limiter.num_requeues("x") == 0


def test_max_of_takes_the_longest_delay_and_forgets_everywhere() -> None:
    clock = FakeClock()
    limiter = default_controller_rate_limiter(clock)
    assert isinstance(limiter, MaxOfRateLimiter)
    assert limiter.when("a") == 0.005
    # Exhaust the bucket with other items: the bucket delay now dominates a fresh item's 5 ms.
    for i in range(120):
        limiter.when(f"other-{i}")
    assert limiter.when("fresh") > 1.0
    assert limiter.num_requeues("a") == 1
    limiter.forget("a")
    assert limiter.num_requeues("a") == 0


def test_backoff_grows_with_jitter_caps_and_resets_after_quiet_period() -> None:
    clock = FakeClock()
    backoff = Backoff(
        initial=1.0, cap=8.0, factor=2.0, jitter=1.0, reset_after=60, clock=clock, rng=random.Random(1)
    )
    delays = [backoff.next() for _ in range(6)]
    bases = [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    for delay, base in zip(delays, bases, strict=True):
        assert base <= delay < 2 * base
    clock.advance(61)
    assert 1.0 <= backoff.next() < 2.0
    backoff.next()
    backoff.reset()
    assert 1.0 <= backoff.next() < 2.0


def test_limiters_reject_nonsense_parameters() -> None:
    clock = FakeClock()
    with pytest.raises(ValueError, match="base"):
        ItemExponentialFailureRateLimiter[str](0, 1)
    with pytest.raises(ValueError, match="qps"):
        BucketRateLimiter[str](0, 1, clock=clock)
    with pytest.raises(ValueError, match="at least one"):
        MaxOfRateLimiter[str]()
