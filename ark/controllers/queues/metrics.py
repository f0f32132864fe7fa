"""A queue sample as Prometheus text, rendered once per sample and served by every scrape until the next.

Series (labels in brackets; one set per ArkAgent, ArkTeam with a budget, or namespace)::

    ark_stream_pending[namespace,stream]    entries delivered to the group and not yet acknowledged
    ark_stream_lag[namespace,stream]        entries not yet delivered to the group
    ark_dead_letters[namespace,agent]       entries in the agent's dead-letter stream
    ark_budget_limit_tokens[namespace,kind,name]      kind: agent|team (limits.maxDailyTokens)
    ark_budget_remaining_tokens[namespace,kind,name]  limit minus the rolling 24 h usage (<= 0: used up)
    ark_queue_sample_timestamp_seconds      when the sample was taken (unix time)
"""

from __future__ import annotations

from dataclasses import dataclass, field


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


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _family(name: str, help_text: str, rows: list[tuple[dict[str, str], float]]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    for labels, value in rows:
        pairs = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
        lines.append(f"{name}{{{pairs}}} {float(value)!r}" if pairs else f"{name} {float(value)!r}")
    return lines


def render_sample(sample: QueueSample | None) -> bytes:
    """The text exposition of ``sample`` (empty families before the first one).

    Rendered once per sample, not per scrape: with a series per agent, formatting them through
    prometheus_client on every scrape would cost more than the rest of /metrics together.
    """
    sample = sample or QueueSample()
    streams = [({"namespace": s.namespace, "stream": s.stream}, s) for s in sample.streams]
    budgets = [({"namespace": b.namespace, "kind": b.kind, "name": b.name}, b) for b in sample.budgets]
    lines = [
        *_family(
            "ark_stream_pending",
            "Entries delivered to the stream's consumer group and not yet acknowledged.",
            [(labels, s.pending) for labels, s in streams],
        ),
        *_family(
            "ark_stream_lag",
            "Entries not yet delivered to the stream's consumer group.",
            [(labels, s.lag) for labels, s in streams],
        ),
        *_family(
            "ark_dead_letters",
            "Entries in the agent's dead-letter stream.",
            [({"namespace": ns, "agent": agent}, n) for ns, agent, n in sample.dead_letters],
        ),
        *_family(
            "ark_budget_limit_tokens",
            "The daily token budget (limits.maxDailyTokens).",
            [(labels, b.limit) for labels, b in budgets],
        ),
        *_family(
            "ark_budget_remaining_tokens",
            "Tokens left in the rolling 24 h budget (0 or less: used up).",
            [(labels, b.limit - b.used) for labels, b in budgets],
        ),
    ]
    if sample.taken_at:
        lines += _family(
            "ark_queue_sample_timestamp_seconds",
            "When the queue gauges were read (unix time).",
            [({}, sample.taken_at)],
        )
    return ("\n".join(lines) + "\n").encode()
