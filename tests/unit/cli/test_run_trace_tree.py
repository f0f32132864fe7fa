"""The span tree ``ark run --trace`` prints: nesting, durations, tokens and failures (real SDK spans)."""

from __future__ import annotations

import io

from opentelemetry import trace

from ark.cli.run_trace import write_tree
from tests.support.spans import Spans


def test_the_tree_nests_children_in_start_order_with_durations_tokens_and_errors(spans: Spans) -> None:
    tracer = spans.provider.get_tracer("test")
    root = tracer.start_span("ark.run", start_time=1_000_000_000)
    context = trace.set_span_in_context(root)
    task = tracer.start_span("ark.task [plan]", context=context, start_time=1_100_000_000)
    inner = trace.set_span_in_context(task)
    chat = tracer.start_span(
        "chat mock",
        context=inner,
        start_time=1_200_000_000,
        attributes={"gen_ai.usage.input_tokens": 7, "gen_ai.usage.output_tokens": 2},
    )
    chat.end(end_time=1_212_500_000)
    tool = tracer.start_span("ark.tool echo", context=inner, start_time=1_300_000_000)
    tool.set_status(trace.StatusCode.ERROR, "server gone")
    tool.end(end_time=1_301_000_000)
    task.end(end_time=1_400_000_000)
    root.end(end_time=1_500_000_000)

    out = io.StringIO()
    write_tree(spans.finished(), out, "")

    trace_id = format(root.get_span_context().trace_id, "032x")
    assert out.getvalue().splitlines() == [
        f"trace {trace_id}",
        "└── ark.run  500.0 ms",
        "    └── ark.task [plan]  300.0 ms",  # printed as is, never read as markup
        "        ├── chat mock  12.5 ms  7 in / 2 out tokens",
        "        └── ark.tool echo  1.0 ms  error: server gone",
    ]
