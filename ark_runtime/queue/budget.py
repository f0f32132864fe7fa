"""The rolling 24 h token budget of an agent (``AGENT_DAILY_TOKEN_LIMIT``), shared by all its pods.

Usage lives in the sorted set ``ark:budget:{ns}:{agent}:usage``: score = completion time in
ms, member ``"{taskID}:{totalTokens}"``; entries older than 24 h are pruned. The consumer adds a
task's usage in the same MULTI/EXEC that writes its result, so usage is never counted twice
or lost.
"""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from ark_runtime.protocol import Result

WINDOW_MS = 24 * 3600 * 1000
# Re-reading the set for every task would cost a round trip each; a short cache is close enough
# for a budget whose overshoot is bounded by the tasks already running.
CACHE_SECONDS = 1.0


def budget_key(namespace: str, agent: str) -> str:
    """Sorted set holding an agent's token usage."""
    return f"ark:budget:{namespace}:{agent}:usage"


def usage_member(result: Result) -> str:
    """Sorted-set member recording ``result``'s tokens."""
    return f"{result.id}:{result.total_tokens}"


def tokens_of(member: str) -> int:
    """Tokens recorded by a member (0 for a malformed one)."""
    _, _, tokens = member.rpartition(":")
    return int(tokens) if tokens.isdigit() else 0


class DailyBudget:
    """Reads the window's usage and says whether another task may start."""

    def __init__(self, redis: aioredis.Redis, namespace: str, agent: str, limit: int) -> None:
        self.redis = redis
        self.key = budget_key(namespace, agent)
        self.limit = limit
        self._cached: tuple[float, int] | None = None

    async def used(self) -> int:
        """Tokens used in the last 24 h (pruning older entries)."""
        now = time.time_ns() // 1_000_000
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zremrangebyscore(self.key, "-inf", now - WINDOW_MS)
            pipe.zrangebyscore(self.key, now - WINDOW_MS, "+inf")
            _, members = await pipe.execute()
        total = sum(tokens_of(m) for m in members)
        self._cached = (time.monotonic(), total)
        return total

    async def refusal(self) -> str:
        """Why a new task must be refused ('' while there is budget left)."""
        if self._cached is not None and time.monotonic() - self._cached[0] < CACHE_SECONDS:
            used = self._cached[1]
        else:
            used = await self.used()
        if used < self.limit:
            return ""
        return (
            f"daily token budget exhausted: {used} of {self.limit} tokens used in the last 24 h "
            "(AGENT_DAILY_TOKEN_LIMIT); the task is refused until older usage leaves the window"
        )

    def spent(self, tokens: int) -> None:
        """Count tokens just committed, so the cache does not lag behind."""
        if self._cached is not None:
            self._cached = (self._cached[0], self._cached[1] + tokens)
