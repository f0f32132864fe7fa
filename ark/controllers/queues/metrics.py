"""The last queue sample as Prometheus series (rendered when scraped; nothing to go stale).

Series (labels in brackets; one set per ArkAgent, ArkTeam with a budget, or namespace)::

    ark_stream_pending[namespace,stream]    entries delivered to the group and not yet acknowledged
    ark_stream_lag[namespace,stream]        entries not yet delivered to the group
    ark_dead_letters[namespace,agent]       entries in the agent's dead-letter stream
    ark_budget_limit_tokens[namespace,kind,name]      kind: agent|team (limits.maxDailyTokens)
    ark_budget_remaining_tokens[namespace,kind,name]  limit minus the rolling 24 h usage (<= 0: used up)
    ark_queue_sample_timestamp_seconds      when the sample was taken (unix time)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


@dataclass(frozen=True)
class StreamStat:
    """One stream as its consumer group sees it."""

    namespace: str
    stream: str
    pending: int
    lag: int


@dataclass(frozen=True)
class BudgetStat:
    """One daily token budget."""

    namespace: str
    kind: str
    name: str
    limit: int
    used: int


@dataclass
class QueueSample:
    """Everything one sampling pass read."""

    taken_at: float = 0.0
    streams: list[StreamStat] = field(default_factory=list)
    dead_letters: list[tuple[str, str, int]] = field(default_factory=list)
    """``(namespace, agent, entries)``."""
    budgets: list[BudgetStat] = field(default_factory=list)


class QueueCollector(Collector):
    """Yields the series of whatever sample ``latest`` returns (none before the first)."""

    def __init__(self, latest: Callable[[], QueueSample | None]) -> None:
        self._latest = latest

    def collect(self) -> Iterator[GaugeMetricFamily]:
        sample = self._latest() or QueueSample()
        pending = GaugeMetricFamily(
            "ark_stream_pending",
            "Entries delivered to the stream's consumer group and not yet acknowledged.",
            labels=["namespace", "stream"],
        )
        lag = GaugeMetricFamily(
            "ark_stream_lag",
            "Entries not yet delivered to the stream's consumer group.",
            labels=["namespace", "stream"],
        )
        for s in sample.streams:
            pending.add_metric([s.namespace, s.stream], s.pending)
            lag.add_metric([s.namespace, s.stream], s.lag)
        dead = GaugeMetricFamily(
            "ark_dead_letters", "Entries in the agent's dead-letter stream.", labels=["namespace", "agent"]
        )
        for namespace, agent, entries in sample.dead_letters:
            dead.add_metric([namespace, agent], entries)
        limit = GaugeMetricFamily(
            "ark_budget_limit_tokens",
            "The daily token budget (limits.maxDailyTokens).",
            labels=["namespace", "kind", "name"],
        )
        remaining = GaugeMetricFamily(
            "ark_budget_remaining_tokens",
            "Tokens left in the rolling 24 h budget (0 or less: used up).",
            labels=["namespace", "kind", "name"],
        )
        for b in sample.budgets:
            limit.add_metric([b.namespace, b.kind, b.name], b.limit)
            remaining.add_metric([b.namespace, b.kind, b.name], b.limit - b.used)
        yield pending
        yield lag
        yield dead
        yield limit
        yield remaining
        if sample.taken_at:
            yield GaugeMetricFamily(
                "ark_queue_sample_timestamp_seconds",
                "When the queue gauges were read (unix time).",
                value=sample.taken_at,
            )
