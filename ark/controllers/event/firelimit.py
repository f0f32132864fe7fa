"""Per-event token buckets for webhook fires (pure apart from the injected clock).

A request takes one token of its event's bucket or is refused with how long until a token is
back (the ``Retry-After`` of a 429), so one noisy caller cannot flood the cluster with runs.
Unlike the workqueue's bucket, a refusal reserves nothing.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass

from ark.kube.clock import Clock


@dataclass
class _Bucket:
    tokens: float
    at: float


class FireLimiter:
    """``rate`` fires a second per key on average, bursts of up to ``burst``."""

    def __init__(self, rate: float, burst: int, clock: Clock) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a fire limit needs rate > 0 and burst >= 1")
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._buckets: dict[Hashable, _Bucket] = {}

    def take(self, key: Hashable) -> int | None:
        """None when ``key`` may fire now (one token taken); else whole seconds to wait (>= 1)."""
        now = self._clock.now()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.at) * self._rate)
        bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return max(1, math.ceil((1.0 - bucket.tokens) / self._rate))
