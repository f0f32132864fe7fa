"""Exponential backoff with jitter, for anything that retries a remote (Redis, tool servers)."""

from __future__ import annotations

import asyncio
import random


class Backoff:
    """Exponential backoff with full jitter, from ``base`` to ``cap`` seconds; :meth:`reset` on success."""

    def __init__(self, base: float = 0.05, cap: float = 5.0) -> None:
        self.base = base
        self.cap = cap
        self.failures = 0

    def next_delay(self) -> float:
        """The delay before the next attempt (grows with each call)."""
        self.failures += 1
        return random.uniform(0, min(self.cap, self.base * 2 ** min(self.failures, 16)))

    async def wait(self) -> None:
        """Sleep for :meth:`next_delay` seconds."""
        await asyncio.sleep(self.next_delay())

    def reset(self) -> None:
        """Forget past failures."""
        self.failures = 0
