"""The real OpenTelemetry SDK recording this test process's spans in memory.

OpenTelemetry lets a process set its global tracer provider once, so every test that looks at
spans shares the one installed here and clears the exporter before it starts.
"""

from __future__ import annotations

import functools

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ark_runtime.telemetry import id_generator


@functools.cache
def _installed() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    # The id generator the processes use (configure_tracing), so spans can take chosen ids.
    provider = TracerProvider(id_generator=id_generator())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return provider, exporter


class Spans:
    """The spans finished since the test started."""

    def __init__(self) -> None:
        self.provider, self._exporter = _installed()
        self._exporter.clear()

    def finished(self) -> tuple[ReadableSpan, ...]:
        """Every finished span, in the order they ended."""
        return tuple(self._exporter.get_finished_spans())

    def named(self, name: str) -> ReadableSpan:
        """The one finished span called ``name``; fails naming the spans there are otherwise."""
        found = [span for span in self.finished() if span.name == name]
        names = [span.name for span in self.finished()]
        assert len(found) == 1, f"{len(found)} spans named {name!r}; there are {names}"
        return found[0]
