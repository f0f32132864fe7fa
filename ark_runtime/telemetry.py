"""OpenTelemetry: trace context across the Redis boundary, and exporter set-up for the pod.

A producer stamps ``traceparent``/``tracestate`` on each task (:func:`inject_context`); the agent
runs the task in a span whose parent is that context (:func:`task_context`), so one trace runs
from the trigger through the queue wait, the model and tool calls to the result.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from ark_runtime.protocol import Task

_propagator = TraceContextTextMapPropagator()
# (trace id, span id) the next span started in this context takes, instead of random ones.
_chosen: contextvars.ContextVar[tuple[int, int] | None] = contextvars.ContextVar(
    "ark_chosen_ids", default=None
)


def inject_context(ctx: otel_context.Context | None = None) -> tuple[str, str]:
    """``(traceparent, tracestate)`` of ``ctx`` (default: the current context); empty without a span."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier, context=ctx)
    return carrier.get("traceparent", ""), carrier.get("tracestate", "")


def extract_context(traceparent: str, tracestate: str = "") -> otel_context.Context:
    """The context of a ``traceparent``/``tracestate`` pair (an empty context for ``""``)."""
    carrier = {"traceparent": traceparent, "tracestate": tracestate}
    return _propagator.extract({k: v for k, v in carrier.items() if v})


def task_context(task: Task) -> otel_context.Context:
    """The producer's context carried by ``task`` (an empty context when it carries none)."""
    return extract_context(task.traceparent, task.tracestate)


def producer_link(task: Task) -> list[trace.Link]:
    """A link to the producer's span, when the task carries one."""
    span_context = trace.get_current_span(task_context(task)).get_span_context()
    return [trace.Link(span_context)] if span_context.is_valid else []


def queue_wait_ms(entry_id: str, now_ms: int) -> int:
    """Milliseconds a task waited since the XADD of stream entry ``entry_id`` (``<ms>-<seq>``).

    The id's time is the Redis server's clock: a skew that makes the wait negative counts as 0,
    and an id that is not a stream id (never from Redis) gives 0 too.
    """
    added, _, seq = entry_id.partition("-")
    if not (added.isdigit() and seq.isdigit()):
        return 0
    return max(0, now_ms - int(added))


@contextlib.contextmanager
def chosen_ids(trace_id: int, span_id: int) -> Iterator[None]:
    """Spans started inside take these ids (a span whose id was handed out before it ended).

    The trace id counts only for a root span: a child keeps its parent's.
    """
    token = _chosen.set((trace_id, span_id))
    try:
        yield
    finally:
        _chosen.reset(token)


def id_generator() -> Any:
    """An SDK ``IdGenerator``: random ids, except where :func:`chosen_ids` is in effect."""
    from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

    class Ids(RandomIdGenerator):
        def generate_span_id(self) -> int:
            chosen = _chosen.get()
            return chosen[1] if chosen else super().generate_span_id()

        def generate_trace_id(self) -> int:
            chosen = _chosen.get()
            return chosen[0] if chosen else super().generate_trace_id()

    return Ids()


def configure_tracing(service_name: str, env: Mapping[str, str]) -> bool:
    """Export spans over OTLP/HTTP when an ``OTEL_EXPORTER_OTLP_*ENDPOINT`` is set; True if it did."""
    if not (env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")):
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({"service.name": service_name}), id_generator=id_generator()
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return True
