"""``ark run --trace``: the run's spans, kept in this process and printed as a tree at the end.

The run is the root span ``ark.run``; each task an agent answers is a span ``ark.task <step>``
under it (a delegated task under the ``delegate`` tool call that asked for it), with the
runtime's ``chat <model>`` and ``ark.tool <name>`` spans inside. With
``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._TRACES_ENDPOINT``) set, the same spans are exported
over OTLP/HTTP too, also without ``--trace`` (D165). OpenTelemetry is imported only here, so an
untraced ``ark run`` and ``ark --help`` never load it.

Interface::

    tracing = RunTracing.start(os.environ, print_tree=args.trace)   # None: nothing to do
    with tracing.run_span(team, run_uid):
        workers = tracing.traced(workers)  ... the run ...
    tracing.finish(stderr)   # prints the tree (with --trace), flushes the export
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ark.flow.local import Worker
from ark_runtime.protocol import Result, Task

SERVICE_NAME = "ark-run"


def _endpoint(env: Mapping[str, str]) -> str:
    return env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or ""


@dataclass
class RunTracing:
    """The tracer provider of one ``ark run``: an in-memory copy of every span, plus OTLP export."""

    provider: TracerProvider
    kept: InMemorySpanExporter
    print_tree: bool
    exported_to: str

    @classmethod
    def start(cls, env: Mapping[str, str], *, print_tree: bool) -> RunTracing | None:
        """Install the provider when ``--trace`` is given or an endpoint is set; else None."""
        endpoint = _endpoint(env)
        if not (print_tree or endpoint):
            return None
        name = env.get("OTEL_SERVICE_NAME") or SERVICE_NAME
        provider = TracerProvider(resource=Resource.create({"service.name": name}))
        kept = InMemorySpanExporter()
        provider.add_span_processor(SimpleSpanProcessor(kept))
        if endpoint:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        return cls(provider, kept, print_tree, endpoint)

    @contextlib.contextmanager
    def run_span(self, team: str, run_uid: str) -> Iterator[None]:
        """The root span ``ark.run``, current while the run goes on."""
        tracer = self.provider.get_tracer("ark.cli.run")
        with tracer.start_as_current_span("ark.run", attributes={"ark.team": team, "ark.run": run_uid}):
            yield

    def traced(self, workers: Mapping[str, Worker]) -> dict[str, Worker]:
        """``workers``, each task they answer in a span ``ark.task <step>``."""
        tracer = self.provider.get_tracer("ark.cli.run")

        def wrap(agent: str, worker: Worker) -> Worker:
            async def run(task: Task) -> Result:
                attributes = {"ark.task.id": task.id, "ark.task.kind": task.kind, "ark.agent": agent}
                with tracer.start_as_current_span(f"ark.task {task.step}", attributes=attributes) as span:
                    result = await worker(task)
                    if result.status == "error":
                        span.set_status(trace.StatusCode.ERROR, result.error[:200])
                    return result

            return run

        return {agent: wrap(agent, worker) for agent, worker in workers.items()}

    def finish(self, err: TextIO) -> None:
        """Print the span tree (with ``--trace``) and flush the export (bounded by its timeout)."""
        spans = self.kept.get_finished_spans()
        if self.print_tree:
            write_tree(spans, err, self.exported_to)
        self.provider.shutdown()


def _seconds(span: ReadableSpan) -> float:
    return ((span.end_time or 0) - (span.start_time or 0)) / 1e9


def _label(span: ReadableSpan) -> str:
    attributes: Mapping[str, Any] = span.attributes or {}
    parts = [span.name, f"{_seconds(span) * 1000:.1f} ms"]
    tokens = [attributes.get("gen_ai.usage.input_tokens"), attributes.get("gen_ai.usage.output_tokens")]
    if all(isinstance(t, int) for t in tokens):
        parts.append(f"{tokens[0]} in / {tokens[1]} out tokens")
    if not span.status.is_ok:
        parts.append(f"error: {span.status.description or 'failed'}")
    return "  ".join(parts)


def write_tree(spans: tuple[ReadableSpan, ...] | list[ReadableSpan], err: TextIO, exported_to: str) -> None:
    """The spans as a tree (children in start order), with their durations, on ``err``."""
    from rich.console import Console
    from rich.text import Text
    from rich.tree import Tree

    ids = {span.context.span_id for span in spans}
    children: dict[int | None, list[ReadableSpan]] = {}
    for span in sorted(spans, key=lambda s: s.start_time or 0):
        parent = span.parent.span_id if span.parent is not None and span.parent.span_id in ids else None
        children.setdefault(parent, []).append(span)

    def grow(node: Tree, span: ReadableSpan) -> None:
        branch = node.add(Text(_label(span)))
        for child in children.get(span.context.span_id, []):
            grow(branch, child)

    roots = children.get(None, [])
    trace_ids = sorted({format(span.context.trace_id, "032x") for span in roots})
    where = f", exported to {exported_to}" if exported_to else ""
    top = Tree(Text(f"trace {', '.join(trace_ids) or '(no spans)'}{where}"))
    for root in roots:
        grow(top, root)
    Console(file=err, width=200, highlight=False, soft_wrap=True).print(top)
