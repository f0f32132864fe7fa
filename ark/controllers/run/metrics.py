"""Prometheus series of team runs, registered on the manager's registry.

Series (labels in brackets; no run or task ids, so cardinality is bounded by teams and agents)::

    ark_runs_started_total[namespace,team]
    ark_runs_finished_total[namespace,team,phase,reason]
    ark_runs[namespace,team,phase]                   ArkRuns in the cache, by phase (at scrape time)
    ark_run_duration_seconds[namespace,team,phase]   start -> end of runs this operator finished
    ark_step_duration_seconds[namespace,team]        task submitted -> its result read (histogram)
    ark_run_messages_total[namespace,type]           type: result|delegate
    ark_run_tokens_total[namespace,team]             tokens of the results runs recorded
    ark_tokens_total[namespace,agent,model,direction]  the same tokens by agent; direction: input|output
    ark_run_transition_seconds                       result read -> next tasks submitted (histogram)
    ark_runs_active                                  runs this operator is driving
    ark_run_inbox_pending                            results read, waiting for their run's reconcile
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

_TRANSITION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_RUN_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
_STEP_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
PENDING = "Pending"
"""The phase of a run whose status has none yet."""


class _RunsByPhase(Collector):
    """``ark_runs`` counted from the ArkRun cache when scraped, so it is never out of date."""

    def __init__(self, runs: Callable[[], Iterable[dict[str, Any]]]) -> None:
        self._runs = runs

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "ark_runs", "ArkRuns by team and phase.", labels=["namespace", "team", "phase"]
        )
        tally: Tally[tuple[str, str, str]] = Tally()
        for run in self._runs():
            team = ((run.get("spec") or {}).get("teamRef") or {}).get("name") or ""
            phase = (run.get("status") or {}).get("phase") or PENDING
            tally[(run["metadata"].get("namespace", ""), str(team), str(phase))] += 1
        for labels, count in sorted(tally.items()):
            family.add_metric(list(labels), count)
        yield family


class RunMetrics:
    """The run controller's series."""

    def __init__(
        self,
        registry: CollectorRegistry,
        active: Callable[[], int],
        pending: Callable[[], int],
        runs: Callable[[], Iterable[dict[str, Any]]] = tuple,
    ) -> None:
        r = registry
        self.started = Counter("ark_runs_started", "Runs started.", ["namespace", "team"], registry=r)
        self.finished = Counter(
            "ark_runs_finished", "Runs that ended.", ["namespace", "team", "phase", "reason"], registry=r
        )
        self.duration = Histogram(
            "ark_run_duration_seconds",
            "From a run's start to its end.",
            ["namespace", "team", "phase"],
            buckets=_RUN_BUCKETS,
            registry=r,
        )
        self.step_duration = Histogram(
            "ark_step_duration_seconds",
            "From submitting a step's task to reading its result.",
            ["namespace", "team"],
            buckets=_STEP_BUCKETS,
            registry=r,
        )
        self.messages = Counter(
            "ark_run_messages", "Entries read from the results streams.", ["namespace", "type"], registry=r
        )
        self.tokens = Counter("ark_run_tokens", "Tokens recorded in runs.", ["namespace", "team"], registry=r)
        self.agent_tokens = Counter(
            "ark_tokens",
            "Tokens recorded in runs, by the agent that used them and its model.",
            ["namespace", "agent", "model", "direction"],
            registry=r,
        )
        self.transition = Histogram(
            "ark_run_transition_seconds",
            "From reading a result to submitting the tasks it made ready.",
            buckets=_TRANSITION_BUCKETS,
            registry=r,
        )
        Gauge("ark_runs_active", "Runs this operator is driving.", registry=r).set_function(active)
        Gauge(
            "ark_run_inbox_pending", "Results read and waiting for their run's reconcile.", registry=r
        ).set_function(pending)
        r.register(_RunsByPhase(runs))

    def used(self, namespace: str, agent: str, model: str, input_tokens: int, output_tokens: int) -> None:
        """Tokens of one recorded result."""
        self.agent_tokens.labels(namespace=namespace, agent=agent, model=model, direction="input").inc(
            input_tokens
        )
        self.agent_tokens.labels(namespace=namespace, agent=agent, model=model, direction="output").inc(
            output_tokens
        )
