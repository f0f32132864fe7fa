"""Prometheus metrics for work queues, reconciles and leader election (controller-runtime's names).

Interface::

    metrics = Metrics()                       # its own registry: several managers per process are fine
    queue_hooks = metrics.queue("configmaps") # QueueMetrics for WorkQueue(metrics=...)
    metrics.reconcile_total.labels(controller="c", result="success").inc()
    metrics.add_exposition(lambda: text)      # text rendered elsewhere, appended to every scrape
    metrics.render() -> bytes                 # text exposition for /metrics

Series (labels in brackets)::

    workqueue_depth[name] workqueue_adds_total[name] workqueue_retries_total[name]
    workqueue_queue_duration_seconds[name] workqueue_work_duration_seconds[name]     (histograms)
    workqueue_unfinished_work_seconds[name] workqueue_longest_running_processor_seconds[name]
    controller_runtime_reconcile_total[controller,result]  result: success|error|requeue|requeue_after
    controller_runtime_reconcile_errors_total[controller]
    controller_runtime_reconcile_time_seconds[controller]                            (histogram)
    controller_runtime_max_concurrent_reconciles[controller] controller_runtime_active_workers[controller]
    leader_election_master_status[name]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

# client-go's workqueue buckets: 10 ns .. 1000 s.
_QUEUE_BUCKETS = tuple(10e-9 * 10**i for i in range(12))
_RECONCILE_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.15,
    0.2,
    0.25,
    0.3,
    0.35,
    0.4,
    0.45,
    0.5,
    0.6,
    0.7,
    0.8,
    0.9,
    1.0,
    1.25,
    1.5,
    1.75,
    2.0,
    2.5,
    3.0,
    3.5,
    4.0,
    4.5,
    5,
    6,
    7,
    8,
    9,
    10,
    15,
    20,
    25,
    30,
    40,
    50,
    60,
)


class QueueHooks:
    """``QueueMetrics`` implementation for one named queue."""

    def __init__(self, metrics: Metrics, name: str, now: Callable[[], float]) -> None:
        self.name = name
        self._now = now
        self._depth = metrics.workqueue_depth.labels(name=name)
        self._adds = metrics.workqueue_adds.labels(name=name)
        self._retries = metrics.workqueue_retries.labels(name=name)
        self._latency = metrics.workqueue_latency.labels(name=name)
        self._work = metrics.workqueue_work_duration.labels(name=name)
        self._added_at: dict[Hashable, float] = {}
        self._started_at: dict[Hashable, float] = {}

    def add(self, item: Hashable) -> None:
        self._adds.inc()
        self._depth.inc()
        self._added_at.setdefault(item, self._now())

    def get(self, item: Hashable) -> None:
        self._depth.dec()
        now = self._now()
        self._started_at[item] = now
        added = self._added_at.pop(item, None)
        if added is not None:
            self._latency.observe(now - added)

    def done(self, item: Hashable) -> None:
        started = self._started_at.pop(item, None)
        if started is not None:
            self._work.observe(self._now() - started)

    def retry(self) -> None:
        self._retries.inc()

    def unfinished_work(self) -> tuple[float, float]:
        """(sum of seconds items have been processing, the longest of them)."""
        now = self._now()
        ages = [now - started for started in self._started_at.values()]
        return sum(ages), max(ages, default=0.0)


class _InFlightCollector(Collector):
    """Computes the in-flight gauges at scrape time from every queue's start times."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[GaugeMetricFamily]:
        unfinished = GaugeMetricFamily(
            "workqueue_unfinished_work_seconds",
            "Seconds of work in progress that has not been observed by work_duration yet.",
            labels=["name"],
        )
        longest = GaugeMetricFamily(
            "workqueue_longest_running_processor_seconds",
            "Seconds the longest running processor for the workqueue has been running.",
            labels=["name"],
        )
        for hooks in self._metrics.queues.values():
            total, longest_age = hooks.unfinished_work()
            unfinished.add_metric([hooks.name], total)
            longest.add_metric([hooks.name], longest_age)
        yield unfinished
        yield longest


class Metrics:
    """All ``ark.kube`` metrics in one registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.workqueue_depth = Gauge("workqueue_depth", "Current depth of workqueue.", ["name"], registry=r)
        self.workqueue_adds = Counter(
            "workqueue_adds", "Total number of adds handled by workqueue.", ["name"], registry=r
        )
        self.workqueue_retries = Counter(
            "workqueue_retries", "Total number of retries handled by workqueue.", ["name"], registry=r
        )
        self.workqueue_latency = Histogram(
            "workqueue_queue_duration_seconds",
            "How long in seconds an item stays in workqueue before being requested.",
            ["name"],
            buckets=_QUEUE_BUCKETS,
            registry=r,
        )
        self.workqueue_work_duration = Histogram(
            "workqueue_work_duration_seconds",
            "How long in seconds processing an item from workqueue takes.",
            ["name"],
            buckets=_QUEUE_BUCKETS,
            registry=r,
        )
        self.reconcile_total = Counter(
            "controller_runtime_reconcile",
            "Total number of reconciliations per controller.",
            ["controller", "result"],
            registry=r,
        )
        self.reconcile_errors = Counter(
            "controller_runtime_reconcile_errors",
            "Total number of reconciliation errors per controller.",
            ["controller"],
            registry=r,
        )
        self.reconcile_time = Histogram(
            "controller_runtime_reconcile_time_seconds",
            "Length of time per reconciliation per controller.",
            ["controller"],
            buckets=_RECONCILE_BUCKETS,
            registry=r,
        )
        self.max_concurrent_reconciles = Gauge(
            "controller_runtime_max_concurrent_reconciles",
            "Maximum number of concurrent reconciles per controller.",
            ["controller"],
            registry=r,
        )
        self.active_workers = Gauge(
            "controller_runtime_active_workers",
            "Number of currently used workers per controller.",
            ["controller"],
            registry=r,
        )
        self.leader = Gauge(
            "leader_election_master_status",
            "1 while this process holds the named lease, else 0.",
            ["name"],
            registry=r,
        )
        self.queues: dict[str, QueueHooks] = {}
        self._expositions: list[Callable[[], bytes]] = []
        r.register(_InFlightCollector(self))

    def queue(self, name: str, now: Callable[[], float] = time.monotonic) -> QueueHooks:
        """Hooks for the work queue called ``name`` (one per name)."""
        hooks = self.queues.get(name)
        if hooks is None:
            hooks = self.queues[name] = QueueHooks(self, name, now)
        return hooks

    def add_exposition(self, text: Callable[[], bytes]) -> None:
        """Append ``text()`` (complete families, HELP and TYPE lines included) to every scrape.

        For series that change less often than they are scraped (many of them, one per agent):
        rendered once when they change instead of on every scrape.
        """
        self._expositions.append(text)

    def render(self) -> bytes:
        """Prometheus text exposition of every metric."""
        return generate_latest(self.registry) + b"".join(text() for text in self._expositions)
