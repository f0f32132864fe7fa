"""The agent pod's /metrics: what a task, a model call and a tool call add to the series."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from ark_runtime.health import Readiness, health_app
from ark_runtime.metrics import MeteredProvider, RuntimeMetrics
from ark_runtime.providers import ChatResponse, ProviderError, Usage
from ark_runtime.providers.mock import MockProvider
from ark_runtime.tools import ToolSet
from tests.unit.runtime.test_loop_and_tools import EchoTool, ScriptedProvider, call, run


def samples(metrics: RuntimeMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """``(sample name, sorted labels) -> value`` of the exposition, as Prometheus would parse it."""
    text = metrics.render().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_model_calls_are_counted_timed_and_their_tokens_summed() -> None:
    metrics = RuntimeMetrics()
    provider = MeteredProvider(
        ScriptedProvider(
            call("echo", x=1),
            ChatResponse(text="done", usage=Usage(input_tokens=30, output_tokens=7)),
        ),
        metrics,
    )
    tools = ToolSet(inline=[EchoTool("echo")], on_call=metrics.tool_called)
    result = await run(provider, tools)
    assert result.status == "ok"
    got = samples(metrics)
    model = (("model", "scripted-1"), ("provider", "scripted"))
    assert got[("ark_agent_llm_calls_total", tuple(sorted((*model, ("result", "ok")))))] == 2
    assert got[("ark_agent_llm_call_duration_seconds_count", model)] == 2
    assert (
        got[("ark_agent_tokens_total", tuple(sorted((*model, ("direction", "input")))))]
        == result.input_tokens
    )
    assert got[("ark_agent_tokens_total", tuple(sorted((*model, ("direction", "output")))))] == (
        result.output_tokens
    )
    assert got[("ark_agent_tool_calls_total", (("result", "ok"), ("tool", "echo")))] == 1
    assert got[("ark_agent_tool_call_duration_seconds_count", (("tool", "echo"),))] == 1


async def test_a_failed_model_call_counts_as_an_error_and_still_fails_the_task() -> None:
    metrics = RuntimeMetrics()
    provider = MeteredProvider(ScriptedProvider(ProviderError("rate limited", status=429)), metrics)
    result = await run(provider)
    assert result.status == "error"
    assert "rate limited" in result.error
    model = (("model", "scripted-1"), ("provider", "scripted"))
    got = samples(metrics)
    assert got[("ark_agent_llm_calls_total", tuple(sorted((*model, ("result", "error")))))] == 1
    assert got[("ark_agent_llm_calls_total", tuple(sorted((*model, ("result", "ok")))))] == 0


async def test_tool_names_a_model_invents_share_one_label() -> None:
    metrics = RuntimeMetrics()
    tools = ToolSet(inline=[EchoTool("boom", fail=True)], on_call=metrics.tool_called)
    for name in ("made-up-1", "made-up-2", "boom"):
        await tools.call(name, {})
    got = samples(metrics)
    assert got[("ark_agent_tool_calls_total", (("result", "error"), ("tool", "unknown")))] == 2
    assert got[("ark_agent_tool_calls_total", (("result", "error"), ("tool", "boom")))] == 1
    assert not any(dict(labels).get("tool", "").startswith("made-up") for _, labels in got)


def test_task_outcomes_and_queue_wait() -> None:
    metrics = RuntimeMetrics(in_flight=lambda: 3)
    metrics.task_started(waited_ms=1500)
    metrics.task_done("ok", 0.2)
    metrics.task_done("malformed")
    got = samples(metrics)
    assert got[("ark_agent_queue_wait_seconds_sum", ())] == pytest.approx(1.5)
    assert got[("ark_agent_tasks_total", (("result", "ok"),))] == 1
    assert got[("ark_agent_tasks_total", (("result", "malformed"),))] == 1
    assert got[("ark_agent_task_duration_seconds_count", (("result", "ok"),))] == 1
    assert ("ark_agent_task_duration_seconds_count", (("result", "malformed"),)) not in got
    assert got[("ark_agent_tasks_in_flight", ())] == 3


async def test_the_health_port_serves_the_exposition() -> None:
    metrics = RuntimeMetrics()
    MeteredProvider(MockProvider(), metrics)
    app = health_app(Readiness(None, 30), metrics)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pod") as client:
        answer = await client.get("/metrics")
        ready = await client.get("/readyz")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == CONTENT_TYPE_LATEST
    assert 'ark_agent_llm_calls_total{model="mock",provider="mock",result="ok"} 0.0' in answer.text
    assert ready.text == "ready"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=health_app(Readiness(None, 30))), base_url="http://pod"
    ) as client:
        assert (await client.get("/metrics")).status_code == 404
