"""Reads the queue gauges from Redis every :data:`SAMPLE_INTERVAL_SECONDS`, on the leader.

Per watched ArkAgent: its task stream's pending and lag (group ``workers``) and its dead-letter
stream's length; per namespace holding agents or teams: the results stream (group ``operator``);
per ArkAgent or ArkTeam with ``limits.maxDailyTokens``: the rolling 24 h usage (the same window
math the controllers use). One pipelined round trip for the streams; the budgets one read each.

Lag is Redis's own when it knows it; when it does not (entries were deleted, which ours always
are once acknowledged) it is the stream's length minus the pending entries, which is exact for
our streams because a finished entry is acknowledged and deleted together.

Interface::

    setup_queue_metrics(manager, namespaces, redis)   # adds the sampler (a runnable) and its series
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis

from ark.controllers.budget import BudgetReader, evaluate, team_budget_key
from ark.controllers.cache import Cache
from ark.controllers.queues.metrics import BudgetStat, QueueSample, StreamStat, render_sample
from ark.controllers.resources import ARK_AGENTS, ARK_TEAMS
from ark.kube.manager import Manager
from ark_runtime.protocol import RESULTS_GROUP, TASKS_GROUP, dead_stream, results_stream, tasks_stream
from ark_runtime.queue.connection import is_outage

SAMPLE_INTERVAL_SECONDS = 5.0
"""Often enough for alerts over minutes; one pipelined round trip per pass."""

log = logging.getLogger("ark.controllers.queues")
Obj = dict[str, Any]


def _daily_limit(obj: Obj) -> int:
    limit = ((obj.get("spec") or {}).get("limits") or {}).get("maxDailyTokens")
    return limit if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0 else 0


def _group(reply: Any, group: str) -> tuple[int, int | None]:
    """``(pending, lag or None)`` of ``group`` in an XINFO GROUPS reply (an error: no stream yet)."""
    if isinstance(reply, Exception) or not isinstance(reply, list):
        return 0, None
    for info in reply:
        if isinstance(info, dict) and info.get("name") == group:
            lag = info.get("lag")
            return int(info.get("pending") or 0), int(lag) if isinstance(lag, int) else None
    return 0, None


def _length(reply: Any) -> int:
    return reply if isinstance(reply, int) and not isinstance(reply, bool) else 0


class QueueSampler:
    """Samples the queues of the cached agents and teams; :attr:`latest` is what it last read."""

    def __init__(self, redis: aioredis.Redis, agents: Cache, teams: Cache) -> None:
        self.redis = redis
        self.agents = agents
        self.teams = teams
        self.budgets = BudgetReader(redis)
        self.latest: QueueSample | None = None
        self.exposition = render_sample(None)
        """:attr:`latest` as served on /metrics."""
        self._failing = False

    async def sample(self) -> QueueSample:
        """Read everything once."""
        agents = sorted(
            (a for a in self.agents.all()), key=lambda a: (a["metadata"]["namespace"], a["metadata"]["name"])
        )
        teams = self.teams.all()
        namespaces = sorted({o["metadata"]["namespace"] for o in [*agents, *teams]})
        streams: list[tuple[str, str, str]] = [
            (
                a["metadata"]["namespace"],
                tasks_stream(a["metadata"]["namespace"], a["metadata"]["name"]),
                TASKS_GROUP,
            )
            for a in agents
        ] + [(ns, results_stream(ns), RESULTS_GROUP) for ns in namespaces]
        async with self.redis.pipeline(transaction=False) as pipe:
            for _, stream, _ in streams:
                pipe.xinfo_groups(stream)
                pipe.xlen(stream)
            for a in agents:
                pipe.xlen(dead_stream(a["metadata"]["namespace"], a["metadata"]["name"]))
            replies = await pipe.execute(raise_on_error=False)
        for reply in replies:
            if isinstance(reply, Exception) and is_outage(reply):
                raise reply
        sample = QueueSample(taken_at=time.time())
        for index, (namespace, stream, group) in enumerate(streams):
            pending, lag = _group(replies[2 * index], group)
            if lag is None:
                lag = max(0, _length(replies[2 * index + 1]) - pending)
            sample.streams.append(StreamStat(namespace, stream, pending, lag))
        dead = replies[2 * len(streams) :]
        for a, reply in zip(agents, dead, strict=True):
            sample.dead_letters.append((a["metadata"]["namespace"], a["metadata"]["name"], _length(reply)))
        sample.budgets = await self._budgets(agents, teams)
        return sample

    async def _budgets(self, agents: Sequence[Obj], teams: Sequence[Obj]) -> list[BudgetStat]:
        now_ms = time.time_ns() // 1_000_000
        out: list[BudgetStat] = []
        for kind, objs in (("agent", agents), ("team", teams)):
            for obj in objs:
                limit = _daily_limit(obj)
                if not limit:
                    continue
                namespace, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
                if kind == "agent":
                    usage = await self.budgets.usage(namespace, name, now_ms)
                else:
                    usage = await self.budgets.usage_of(team_budget_key(namespace, name), now_ms)
                out.append(BudgetStat(namespace, kind, name, limit, evaluate(usage, limit, now_ms).used))
        return out

    async def run(self) -> None:
        """Sample until cancelled; an outage keeps the last sample (its timestamp tells its age)."""
        while True:
            try:
                self.latest = await self.sample()
                self.exposition = render_sample(self.latest)
                if self._failing:
                    log.info("queue gauges readable again")
                self._failing = False
            except Exception as exc:
                if not is_outage(exc):
                    raise
                if not self._failing:
                    log.warning("cannot read the queue gauges; retrying", extra={"error": str(exc)})
                self._failing = True
            await asyncio.sleep(SAMPLE_INTERVAL_SECONDS)


def setup_queue_metrics(manager: Manager, namespaces: Sequence[str], redis: aioredis.Redis) -> QueueSampler:
    """Add the sampler (on the leader) and its series to ``manager``."""
    watched = list(namespaces)
    sampler = QueueSampler(
        redis, Cache(manager.informers, ARK_AGENTS, watched), Cache(manager.informers, ARK_TEAMS, watched)
    )
    manager.metrics.add_exposition(lambda: sampler.exposition)
    manager.add_runnable(sampler.run)
    return sampler
