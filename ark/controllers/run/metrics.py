"""Prometheus metrics of team runs, registered on the manager's registry.

Series (labels in brackets)::

    ark_runs_started_total[namespace,team]
    ark_runs_finished_total[namespace,team,phase,reason]
    ark_run_messages_total[namespace,type]           type: result|delegate
    ark_run_tokens_total[namespace,team]             tokens of the results runs recorded
    ark_run_transition_seconds                       result read -> next tasks submitted (histogram)
    ark_runs_active                                  runs this operator is driving
    ark_run_inbox_pending                            results read, waiting for their run's reconcile
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_TRANSITION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RunMetrics:
    """The run controller's series."""

    def __init__(
        self, registry: CollectorRegistry, active: Callable[[], int], pending: Callable[[], int]
    ) -> None:
        r = registry
        self.started = Counter("ark_runs_started", "Runs started.", ["namespace", "team"], registry=r)
        self.finished = Counter(
            "ark_runs_finished", "Runs that ended.", ["namespace", "team", "phase", "reason"], registry=r
        )
        self.messages = Counter(
            "ark_run_messages", "Entries read from the results streams.", ["namespace", "type"], registry=r
        )
        self.tokens = Counter("ark_run_tokens", "Tokens recorded in runs.", ["namespace", "team"], registry=r)
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
