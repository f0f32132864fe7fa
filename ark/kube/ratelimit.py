"""Rate limiters for requeues (client-go ``util/workqueue``) and a jittered backoff.

Interface::

    limiter.when(item) -> float        # seconds to wait before the item is retried
    limiter.forget(item)               # the item succeeded: reset its history
    limiter.num_requeues(item) -> int  # how many times when() was called since the last forget()

    ItemExponentialFailureRateLimiter(base=0.005, cap=1000.0)
    BucketRateLimiter(qps=10, burst=100, clock=...)
    MaxOfRateLimiter(a, b, ...)
    default_controller_rate_limiter(clock)   # max(exponential 5 ms..1000 s, bucket 10 qps / 100 burst)

    Backoff(initial=0.8, cap=30, factor=2, jitter=1.0, reset_after=120, clock=...).next() -> float
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Hashable
from typing import Generic, TypeVar

from ark.kube.clock import Clock

T = TypeVar("T", bound=Hashable)


class RateLimiter(ABC, Generic[T]):
    """Decides how long an item waits before it is processed again."""

    @abstractmethod
    def when(self, item: T) -> float:
        """Record one more failure of ``item`` and return the delay in seconds before its retry."""

    @abstractmethod
    def forget(self, item: T) -> None:
        """Drop the history of ``item`` (it was processed successfully)."""

    @abstractmethod
    def num_requeues(self, item: T) -> int:
        """How many failures of ``item`` are on record."""


class ItemExponentialFailureRateLimiter(RateLimiter[T]):
    """``base * 2**failures`` per item, capped at ``cap`` seconds."""

    def __init__(self, base: float = 0.005, cap: float = 1000.0) -> None:
        if base <= 0 or cap < base:
            raise ValueError("need 0 < base <= cap")
        self.base = base
        self.cap = cap
        self._failures: dict[T, int] = {}

    def when(self, item: T) -> float:
        exponent = self._failures.get(item, 0)
        self._failures[item] = exponent + 1
        # Past 2**1100 a float overflows; anything that large is over the cap anyway.
        if exponent > 1000:
            return self.cap
        return min(self.base * (2.0**exponent), self.cap)

    def forget(self, item: T) -> None:
        self._failures.pop(item, None)

    def num_requeues(self, item: T) -> int:
        return self._failures.get(item, 0)


class BucketRateLimiter(RateLimiter[T]):
    """An overall token bucket shared by all items (``golang.org/x/time/rate`` reservations).

    Each call reserves one token; when the bucket is empty the returned delay is
    the time until that token will have been refilled, so a burst of failures is
    spread out at ``qps``.
    """

    def __init__(self, qps: float = 10.0, burst: int = 100, *, clock: Clock) -> None:
        if qps <= 0 or burst < 1:
            raise ValueError("need qps > 0 and burst >= 1")
        self.qps = qps
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._last: float | None = None

    def when(self, item: T) -> float:
        now = self._clock.now()
        if self._last is not None:
            self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.qps)
        self._last = now
        self._tokens -= 1.0
        if self._tokens >= 0:
            return 0.0
        return -self._tokens / self.qps

    def forget(self, item: T) -> None:
        return None

    def num_requeues(self, item: T) -> int:
        return 0


class MaxOfRateLimiter(RateLimiter[T]):
    """The longest delay of several limiters; every limiter records every failure."""

    def __init__(self, *limiters: RateLimiter[T]) -> None:
        if not limiters:
            raise ValueError("need at least one limiter")
        self.limiters = limiters

    def when(self, item: T) -> float:
        return max(limiter.when(item) for limiter in self.limiters)

    def forget(self, item: T) -> None:
        for limiter in self.limiters:
            limiter.forget(item)

    def num_requeues(self, item: T) -> int:
        return max(limiter.num_requeues(item) for limiter in self.limiters)


def default_controller_rate_limiter(clock: Clock) -> MaxOfRateLimiter[str]:
    """client-go's ``DefaultControllerRateLimiter``: per-item 5 ms..1000 s, overall 10 qps / burst 100."""
    return MaxOfRateLimiter[str](
        ItemExponentialFailureRateLimiter[str](0.005, 1000.0),
        BucketRateLimiter[str](10.0, 100, clock=clock),
    )


class Backoff:
    """Exponential backoff with jitter for reconnect loops (client-go's ``wait.Backoff`` manager).

    ``next()`` returns ``d * (1 + jitter * random())`` and doubles ``d`` up to
    ``cap``; after ``reset_after`` seconds without a call the delay starts over
    from ``initial``, so one failure after a long healthy stretch is retried fast.
    """

    def __init__(
        self,
        *,
        initial: float = 0.8,
        cap: float = 30.0,
        factor: float = 2.0,
        jitter: float = 1.0,
        reset_after: float = 120.0,
        clock: Clock,
        rng: random.Random | None = None,
    ) -> None:
        self.initial = initial
        self.cap = cap
        self.factor = factor
        self.jitter = jitter
        self.reset_after = reset_after
        self._clock = clock
        self._rng = rng or random.Random()
        self._delay = initial
        self._last: float | None = None

    def next(self) -> float:
        """The delay to wait before the next attempt."""
        now = self._clock.now()
        if self._last is not None and now - self._last > self.reset_after:
            self._delay = self.initial
        self._last = now
        delay = self._delay
        self._delay = min(self._delay * self.factor, self.cap)
        return delay * (1.0 + self.jitter * self._rng.random())

    def reset(self) -> None:
        """Start over from ``initial`` (call after a success)."""
        self._delay = self.initial
        self._last = None
