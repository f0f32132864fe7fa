"""Prometheus series of an agent pod, served on its health port's ``/metrics``.

Series (labels in brackets; every label value is bounded by the pod's configuration)::

    ark_agent_tasks_total[result]            result: ok|error|dead_lettered|refused|malformed
    ark_agent_tasks_in_flight                tasks taken and not yet committed
    ark_agent_queue_wait_seconds             XADD of the task -> this pod starting it (histogram)
    ark_agent_task_duration_seconds[result]  start -> result (histogram)
    ark_agent_llm_calls_total[provider,model,result]         result: ok|error|cancelled
    ark_agent_llm_call_duration_seconds[provider,model]      (histogram)
    ark_agent_tokens_total[provider,model,direction]         direction: input|output
    ark_agent_tool_calls_total[tool,result]  tool: a configured tool's name or "unknown"; result: ok|error
    ark_agent_tool_call_duration_seconds[tool]               (histogram)
"""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from ark_runtime.providers.base import ChatRequest, ChatResponse, Provider

_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
UNKNOWN_TOOL = "unknown"
"""The ``tool`` label of a call to a name the agent does not have (a model's invention: unbounded)."""


class RuntimeMetrics:
    """Every series of one agent process, in a registry of its own."""

    def __init__(self, in_flight: Callable[[], int] = lambda: 0) -> None:
        self.registry = r = CollectorRegistry()
        self.tasks = Counter(
            "ark_agent_tasks", "Tasks this pod answered, by outcome.", ["result"], registry=r
        )
        Gauge("ark_agent_tasks_in_flight", "Tasks taken and not yet committed.", registry=r).set_function(
            in_flight
        )
        self.queue_wait = Histogram(
            "ark_agent_queue_wait_seconds",
            "From the task's XADD to this pod starting it.",
            buckets=_SECONDS,
            registry=r,
        )
        self.task_duration = Histogram(
            "ark_agent_task_duration_seconds",
            "From starting a task to its result.",
            ["result"],
            buckets=_SECONDS,
            registry=r,
        )
        self.llm_calls = Counter(
            "ark_agent_llm_calls", "Model calls, by outcome.", ["provider", "model", "result"], registry=r
        )
        self.llm_duration = Histogram(
            "ark_agent_llm_call_duration_seconds",
            "Latency of one model call.",
            ["provider", "model"],
            buckets=_SECONDS,
            registry=r,
        )
        self.tokens = Counter(
            "ark_agent_tokens", "Tokens the model reported.", ["provider", "model", "direction"], registry=r
        )
        self.tool_calls = Counter(
            "ark_agent_tool_calls", "Tool calls, by outcome.", ["tool", "result"], registry=r
        )
        self.tool_duration = Histogram(
            "ark_agent_tool_call_duration_seconds",
            "Latency of one tool call.",
            ["tool"],
            buckets=_SECONDS,
            registry=r,
        )

    def task_started(self, waited_ms: int) -> None:
        """A task of the queue is starting after ``waited_ms`` in the stream."""
        self.queue_wait.observe(waited_ms / 1000)

    def task_done(self, result: str, seconds: float | None = None) -> None:
        """A task ended with ``result`` (and ran ``seconds``, when it ran)."""
        self.tasks.labels(result=result).inc()
        if seconds is not None:
            self.task_duration.labels(result=result).observe(seconds)

    def tool_called(self, tool: str | None, is_error: bool, seconds: float) -> None:
        """One tool call (:class:`~ark_runtime.tools.base.ToolObserver`); ``None``: a name the agent
        has not got, counted as :data:`UNKNOWN_TOOL`."""
        name = tool if tool is not None else UNKNOWN_TOOL
        self.tool_calls.labels(tool=name, result="error" if is_error else "ok").inc()
        self.tool_duration.labels(tool=name).observe(seconds)

    def render(self) -> bytes:
        """Prometheus text exposition."""
        return generate_latest(self.registry)


class MeteredProvider:
    """A :class:`Provider` that times and counts every call of the one it wraps."""

    def __init__(self, provider: Provider, metrics: RuntimeMetrics) -> None:
        self.inner = provider
        self.name = provider.name
        self.model = provider.model
        labels = {"provider": provider.name, "model": provider.model}
        self._ok = metrics.llm_calls.labels(result="ok", **labels)
        self._error = metrics.llm_calls.labels(result="error", **labels)
        self._cancelled = metrics.llm_calls.labels(result="cancelled", **labels)
        self._duration = metrics.llm_duration.labels(**labels)
        self._input = metrics.tokens.labels(direction="input", **labels)
        self._output = metrics.tokens.labels(direction="output", **labels)

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """The inner provider's answer, measured."""
        started = time.monotonic()
        outcome = self._cancelled  # a deadline or a stop cancels the call
        try:
            response = await self.inner.complete(request)
            outcome = self._ok
        except Exception:
            outcome = self._error
            raise
        finally:
            self._duration.observe(time.monotonic() - started)
            outcome.inc()
        self._input.inc(response.usage.input_tokens)
        self._output.inc(response.usage.output_tokens)
        return response

    async def aclose(self) -> None:
        """Close the inner provider."""
        await self.inner.aclose()
