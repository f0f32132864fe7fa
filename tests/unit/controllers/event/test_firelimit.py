"""Fire limits: a burst passes, the next is refused with Retry-After, tokens come back with time."""

from __future__ import annotations

import pytest

from ark.controllers.event.firelimit import FireLimiter
from ark.kube.clock import FakeClock


def test_a_burst_passes_then_the_next_fire_waits_for_a_token() -> None:
    limiter = FireLimiter(rate=2.0, burst=3, clock=FakeClock(start=0.0))
    assert [limiter.take("a") for _ in range(3)] == [None, None, None]
    assert limiter.take("a") == 1


def test_refusals_reserve_nothing() -> None:
    clock = FakeClock(start=0.0)
    limiter = FireLimiter(rate=1.0, burst=1, clock=clock)
    assert limiter.take("a") is None
    assert [limiter.take("a") for _ in range(5)] == [1] * 5
    clock.advance(1.0)
    assert limiter.take("a") is None


def test_retry_after_is_whole_seconds_until_one_token() -> None:
    clock = FakeClock(start=0.0)
    limiter = FireLimiter(rate=0.25, burst=1, clock=clock)
    assert limiter.take("a") is None
    assert limiter.take("a") == 4
    clock.advance(2.5)
    assert limiter.take("a") == 2


def test_tokens_refill_up_to_the_burst_only() -> None:
    clock = FakeClock(start=0.0)
    limiter = FireLimiter(rate=10.0, burst=2, clock=clock)
    clock.advance(3600.0)
    assert [limiter.take("a") for _ in range(3)] == [None, None, 1]


def test_each_event_has_its_own_bucket() -> None:
    limiter = FireLimiter(rate=1.0, burst=1, clock=FakeClock(start=0.0))
    assert limiter.take(("ns", "a")) is None
    assert limiter.take(("ns", "a")) == 1
    assert limiter.take(("ns", "b")) is None


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (1.0, 0)])
def test_a_limit_that_could_never_pass_is_refused(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="rate > 0"):
        FireLimiter(rate=rate, burst=burst, clock=FakeClock(start=0.0))
