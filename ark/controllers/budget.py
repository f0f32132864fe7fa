"""The rolling 24 h token budget of an agent (``limits.maxDailyTokens``), as the controller sees it.

Agent pods record each task's tokens in the Redis sorted set ``ark:budget:{ns}:{agent}:usage``
(score = completion time in ms, member ``"{taskID}:{totalTokens}"``; see
:mod:`ark_runtime.queue.budget`). An entry counts while ``score > now - 24 h``, exactly as the
runtime prunes it. :func:`evaluate` is the pure window math; :class:`BudgetReader` reads Redis.

When the budget is used up, the controller scales the agent to 0 and requeues itself for
:attr:`BudgetState.resumes_at_ms`: the moment enough of the oldest usage has left the window
for the total to drop below the limit (with one big old entry, when that entry leaves).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import redis.asyncio as aioredis

from ark_runtime.queue.budget import WINDOW_MS, budget_key, tokens_of


def team_budget_key(namespace: str, team: str) -> str:
    """Sorted set of a team's usage (``limits.maxDailyTokens``), written by the run controller.

    Members are ``{taskID}:{totalTokens}`` as for agents, so a result recorded twice counts once.
    """
    return f"ark:budget:{namespace}:team:{team}:usage"


Usage = tuple[int, int]
"""(completion time in ms, tokens) of one task."""


@dataclass(frozen=True)
class BudgetState:
    """An agent's usage against its limit at one moment."""

    limit: int
    used: int
    now_ms: int
    oldest_leaves_at_ms: int | None
    """When the oldest usage in the window leaves it (None without usage)."""
    resumes_at_ms: int | None
    """When usage drops below the limit again (None while under the limit)."""

    @property
    def exceeded(self) -> bool:
        """True when the window holds at least ``limit`` tokens."""
        return self.used >= self.limit

    @property
    def resets_at_ms(self) -> int | None:
        """The next moment that matters to the user: scaling back when exceeded, else the oldest leaving."""
        return self.resumes_at_ms if self.resumes_at_ms is not None else self.oldest_leaves_at_ms

    @property
    def resets_in_minutes(self) -> int:
        """Whole minutes (rounded up) until :attr:`resets_at_ms`; 0 without usage."""
        if self.resets_at_ms is None:
            return 0
        return max(0, math.ceil((self.resets_at_ms - self.now_ms) / 60_000))

    def seconds_until_resume(self) -> float | None:
        """Seconds until usage drops below the limit (None while under it)."""
        if self.resumes_at_ms is None:
            return None
        return max(0.0, (self.resumes_at_ms - self.now_ms) / 1000)


def evaluate(usage: Sequence[Usage], limit: int, now_ms: int) -> BudgetState:
    """The budget state of ``usage`` (any order; entries outside the window are ignored)."""
    window = sorted((at, tokens) for at, tokens in usage if at > now_ms - WINDOW_MS)
    used = sum(tokens for _, tokens in window)
    oldest = window[0][0] + WINDOW_MS if window else None
    resumes: int | None = None
    if used >= limit:
        remaining = used
        for at, tokens in window:
            remaining -= tokens
            if remaining < limit:
                # Every entry up to `at` leaves at at + 24 h; entries sharing `at` leave with it.
                resumes = at + WINDOW_MS
                break
    return BudgetState(limit, used, now_ms, oldest, resumes)


class BudgetReader:
    """Reads an agent's usage from the runtime's sorted set."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis

    async def usage(self, namespace: str, agent: str, now_ms: int) -> list[Usage]:
        """Usage entries of an agent inside the window ending at ``now_ms``."""
        return await self.usage_of(budget_key(namespace, agent), now_ms)

    async def usage_of(self, key: str, now_ms: int) -> list[Usage]:
        """Usage entries of the sorted set ``key`` inside the window ending at ``now_ms``."""
        entries = await self.redis.zrangebyscore(key, f"({now_ms - WINDOW_MS}", "+inf", withscores=True)
        return [(int(entry[1]), tokens_of(_text(entry[0]))) for entry in entries]


def _text(member: object) -> str:
    return member.decode() if isinstance(member, bytes) else str(member)
