"""Trace context crosses the Redis boundary, and a task's span has its model and tool calls under it.

The spans are recorded by the real OpenTelemetry SDK (:mod:`tests.support.spans`); the task goes
through a real Redis stream to a real consumer, and the model is a loopback server speaking the
OpenAI Chat Completions wire format.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

import pytest
from opentelemetry import trace

from ark_runtime.loop import run_task
from ark_runtime.protocol import Result, Task, results_stream, tasks_stream
from ark_runtime.providers import MockProvider, OpenAIProvider, Provider
from ark_runtime.queue.connection import connect
from ark_runtime.queue.consumer import Consumer, ConsumerSettings
from ark_runtime.queue.submit import ResultsReader, Submitter
from ark_runtime.tools import ToolSet
from tests.integration.runtime.support import ModelServer, openai_text, openai_tool_call
from tests.integration.runtime.test_providers_http import Weather
from tests.support.spans import Spans
from tests.support.wait import wait_for

pytestmark = pytest.mark.redis


async def run_through_queue(
    redis_url: str, provider: Provider, tools: ToolSet, submit: Callable[[Submitter, str], Awaitable[None]]
) -> Result:
    """Start a consumer running tasks with ``provider``, ``submit`` one, return its result."""
    namespace, agent = f"trace-{uuid.uuid4().hex[:6]}", "tracer"

    async def handle(task: Task) -> Result:
        return await run_task(
            task,
            provider=provider,
            tools=tools,
            system_prompt="",
            max_tokens=50,
            deadline=time.monotonic() + 20,
            consumer="pod",
        )

    consumer = Consumer(
        redis_url, ConsumerSettings(namespace=namespace, agent=agent, consumer="pod", block_ms=200), handle
    )
    worker = asyncio.create_task(consumer.run(grace=5))
    redis = connect(redis_url)
    try:
        await submit(Submitter(redis), tasks_stream(namespace, agent))
        reader = ResultsReader(redis, results_stream(namespace))
        got: list[Result] = []

        async def answered() -> bool:
            got.extend(r for _, r in await reader.read(block_ms=100))
            return bool(got)

        await wait_for(answered, timeout=20, message="the traced task's result")
    finally:
        consumer.stop()
        await worker
        await redis.aclose()
        await provider.aclose()
    return got[0]


async def test_the_task_span_continues_the_producers_trace(redis_url: str, spans: Spans) -> None:
    tracer = spans.provider.get_tracer("test")
    producer: list[trace.Span] = []

    async def submit(submitter: Submitter, stream: str) -> None:
        with tracer.start_as_current_span("operator.submit") as span:
            producer.append(span)
            await submitter.submit(stream, Task(id="t.s.1", run="t", step="s", prompt="hello"))

    result = await run_through_queue(redis_url, MockProvider(), ToolSet(), submit)

    producer_ctx = producer[0].get_span_context()
    task_span = spans.named("ark.task s")
    assert task_span.context.trace_id == producer_ctx.trace_id
    assert task_span.parent is not None
    assert task_span.parent.span_id == producer_ctx.span_id
    assert [link.context.span_id for link in task_span.links] == [producer_ctx.span_id]
    assert spans.named("chat mock").parent.span_id == task_span.context.span_id  # type: ignore[union-attr]
    assert result.traceparent.split("-")[1] == format(producer_ctx.trace_id, "032x")


async def test_model_and_tool_calls_are_children_of_the_task_span(
    redis_url: str, model_server: ModelServer, spans: Spans
) -> None:
    model_server.script = [
        openai_tool_call("call_1", "weather", {"city": "Oslo"}),
        openai_text("12 C in Oslo.", prompt_tokens=30, completion_tokens=4),
    ]
    weather = Weather()
    provider = OpenAIProvider("llama3.2", "ollama", model_server.openai_base)

    async def submit(submitter: Submitter, stream: str) -> None:
        await submitter.submit(stream, Task(id="w.ask.1", run="w", step="ask", prompt="Oslo?"))

    before_ms = time.time_ns() // 1_000_000
    result = await run_through_queue(redis_url, provider, ToolSet(inline=[weather]), submit)
    assert result.status == "ok", result.error

    task_span = spans.named("ark.task ask")
    assert task_span.attributes is not None
    assert task_span.attributes["ark.run"] == "w"
    assert task_span.attributes["messaging.system"] == "redis"
    waited = task_span.attributes["ark.queue.wait_ms"]
    assert isinstance(waited, int)
    assert 0 <= waited <= time.time_ns() // 1_000_000 - before_ms

    # The task span starts when the task was added; the wait is its first child.
    wait = spans.named("ark.queue.wait")
    assert wait.parent is not None
    assert wait.parent.span_id == task_span.context.span_id
    assert wait.start_time == task_span.start_time
    assert (wait.end_time or 0) - (wait.start_time or 0) == waited * 1_000_000
    assert (wait.attributes or {})["ark.queue.wait_ms"] == waited

    calls = [s for s in spans.finished() if s.name == "chat llama3.2"]
    tool = spans.named("ark.tool weather")
    assert [s.parent.span_id for s in (*calls, tool) if s.parent] == [task_span.context.span_id] * 3
    assert {s.context.trace_id for s in (*calls, tool)} == {task_span.context.trace_id}
    first, last = sorted(calls, key=lambda s: s.start_time or 0)
    assert dict(first.attributes or {}) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": "openai",
        "gen_ai.request.model": "llama3.2",
        "gen_ai.usage.input_tokens": 20,
        "gen_ai.usage.output_tokens": 8,
    }
    assert (last.attributes or {})["gen_ai.usage.input_tokens"] == 30
    assert (last.attributes or {})["gen_ai.usage.output_tokens"] == 4
    assert (wait.end_time or 0) <= (first.start_time or 0)
    assert (first.end_time or 0) <= (tool.start_time or 0) <= (tool.end_time or 0) <= (last.start_time or 0)
    assert (tool.attributes or {})["gen_ai.tool.name"] == "weather"
    assert tool.status.is_ok
    assert weather.cities == ["Oslo"]
