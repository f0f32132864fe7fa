"""Trace context crosses the Redis boundary: the task's span continues the producer's trace."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ark_runtime.loop import run_task
from ark_runtime.protocol import Result, Task, results_stream, tasks_stream
from ark_runtime.providers import MockProvider
from ark_runtime.queue.connection import connect
from ark_runtime.queue.consumer import Consumer, ConsumerSettings
from ark_runtime.queue.submit import ResultsReader, Submitter
from ark_runtime.tools import ToolSet
from tests.support.wait import wait_for

pytestmark = pytest.mark.redis


async def test_the_task_span_continues_the_producers_trace(redis_url: str) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    trace.set_tracer_provider(provider)

    namespace, agent = f"trace-{uuid.uuid4().hex[:6]}", "tracer"
    mock = MockProvider()

    async def handle(task: Task) -> Result:
        return await run_task(
            task,
            provider=mock,
            tools=ToolSet(),
            system_prompt="",
            max_tokens=10,
            deadline=None,
            consumer="pod",
        )

    consumer = Consumer(
        redis_url, ConsumerSettings(namespace=namespace, agent=agent, consumer="pod", block_ms=200), handle
    )
    worker = asyncio.create_task(consumer.run(grace=5))
    redis = connect(redis_url)
    try:
        with tracer.start_as_current_span("operator.submit") as producer:
            await Submitter(redis).submit(
                tasks_stream(namespace, agent), Task(id="t.s.1", run="t", step="s", prompt="hello")
            )
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

    producer_ctx = producer.get_span_context()
    spans = {s.name: s for s in exporter.get_finished_spans()}
    task_span = spans["ark.task s"]
    assert task_span.context.trace_id == producer_ctx.trace_id
    assert task_span.parent is not None
    assert task_span.parent.span_id == producer_ctx.span_id
    assert [link.context.span_id for link in task_span.links] == [producer_ctx.span_id]
    assert spans["llm.call"].parent.span_id == task_span.context.span_id  # type: ignore[union-attr]
    assert got[0].traceparent.split("-")[1] == format(producer_ctx.trace_id, "032x")
