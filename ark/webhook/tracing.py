"""The root span of a webhook fire and its ``traceparent`` for the runs (like ``ark trigger``, D94).

With tracing configured (``OTEL_EXPORTER_OTLP_ENDPOINT``) each fire opens the root span
``ark.trigger`` (a new trace: the caller's own ``traceparent`` header is not continued, since
anyone holding the token could otherwise graft runs onto foreign traces), and every run the fire
creates carries the span's ``traceparent``, which the run controller continues.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def fire_span(enabled: bool, namespace: str, event: str) -> Iterator[str]:
    """The traceparent of an open root span ``ark.trigger``; ``""`` when tracing is off."""
    if not enabled:
        yield ""
        return
    from opentelemetry import context, trace

    from ark_runtime.telemetry import inject_context

    attributes = {"ark.namespace": namespace, "ark.event": event, "ark.trigger.type": "webhook"}
    tracer = trace.get_tracer("ark.webhook")
    with tracer.start_as_current_span(
        "ark.trigger", context=context.Context(), kind=trace.SpanKind.SERVER, attributes=attributes
    ):
        traceparent, _ = inject_context()
        yield traceparent
