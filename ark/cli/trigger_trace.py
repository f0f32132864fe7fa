"""The root span of a run started from the command line, and its context stored on the ArkRun (D94).

Only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._TRACES_ENDPOINT``) says where spans go: the
command then opens its root span (``ark.trigger``, ``ark.submit``, ``ark.retry``: D160) and
the ArkRun it creates carries the span's
``traceparent`` (:mod:`ark.runs.trace_context`), which the run controller continues. The span
ends when the command does (with ``--sync``/``--watch``, when the wait does); the batch of spans
is flushed at exit, within ``OTEL_EXPORTER_OTLP_TIMEOUT``. OpenTelemetry is imported here, on
use, so that ``ark --help`` stays light.

Interface::

    with traced_trigger(body, team, namespace, os.environ, "ark.trigger") as body:
        code = await launch(cluster, body, ...)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

Obj = dict[str, Any]

SERVICE_NAME = "ark-cli"


@contextlib.contextmanager
def traced_trigger(
    body: Obj, team: str, namespace: str, env: Mapping[str, str], span: str = "ark.trigger"
) -> Iterator[Obj]:
    """``body`` annotated with the traceparent of an open root span ``span``; as is without tracing."""
    from ark_runtime.telemetry import configure_tracing

    if not configure_tracing(env.get("OTEL_SERVICE_NAME") or SERVICE_NAME, env):
        yield body
        return
    from opentelemetry import trace

    from ark.runs.trace_context import with_traceparent
    from ark_runtime.telemetry import inject_context

    attributes = {"ark.team": team, "ark.namespace": namespace}
    tracer = trace.get_tracer("ark.cli")
    with tracer.start_as_current_span(span, kind=trace.SpanKind.PRODUCER, attributes=attributes):
        traceparent, _ = inject_context()
        yield with_traceparent(body, traceparent)
