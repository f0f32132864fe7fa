"""Anthropic and OpenAI providers against loopback servers speaking the real wire formats."""

from __future__ import annotations

import time
from typing import Any

import pytest

from ark_runtime.loop import run_task
from ark_runtime.protocol import Task
from ark_runtime.providers import AnthropicProvider, ChatRequest, OpenAIProvider, ProviderError, UserTurn
from ark_runtime.tools import ToolResult, ToolSet
from tests.integration.runtime.support import (
    ModelServer,
    Reply,
    anthropic_text,
    anthropic_tool_use,
    openai_text,
    openai_tool_call,
)

TASK = Task(id="run.step.1", run="run", step="step", prompt="How warm is it in Oslo?")


class Weather:
    name = "weather"
    description = "Current temperature of a city"
    input_schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}

    def __init__(self) -> None:
        self.cities: list[str] = []

    async def call(self, arguments: Any) -> ToolResult:
        self.cities.append(arguments["city"])
        if arguments["city"] == "Atlantis":
            return ToolResult("no such city", is_error=True)
        return ToolResult("12 C")


async def run(provider: Any, tools: ToolSet | None = None, timeout: float = 10) -> Any:
    try:
        return await run_task(
            TASK,
            provider=provider,
            tools=tools or ToolSet(),
            system_prompt="You report weather.",
            max_tokens=321,
            deadline=time.monotonic() + timeout,
            consumer="pod",
        )
    finally:
        await provider.aclose()


async def test_anthropic_multi_turn_tool_use(model_server: ModelServer) -> None:
    model_server.script = [
        anthropic_tool_use("toolu_1", "weather", {"city": "Atlantis"}, text="Let me check."),
        anthropic_tool_use("toolu_2", "weather", {"city": "Oslo"}),
        anthropic_text("It is 12 C in Oslo.", input_tokens=40, output_tokens=9),
    ]
    weather = Weather()
    result = await run(
        AnthropicProvider("claude-test", "sk-ant-test", model_server.url), ToolSet(inline=[weather])
    )
    assert result.status == "ok", result.error
    assert result.output == "It is 12 C in Oslo."
    assert weather.cities == ["Atlantis", "Oslo"]
    assert (result.input_tokens, result.output_tokens, result.tool_calls) == (80, 25, 2)
    first, _, last = model_server.requests
    assert first["headers"]["x-api-key"] == "sk-ant-test"
    assert first["headers"]["anthropic-version"] == "2023-06-01"
    assert first["body"]["max_tokens"] == 321
    assert first["body"]["system"].startswith("You report weather.")
    assert first["body"]["tools"][0]["name"] == "weather"
    messages = last["body"]["messages"]
    assert messages[1]["content"][1] == {
        "type": "tool_use",
        "id": "toolu_1",
        "name": "weather",
        "input": {"city": "Atlantis"},
    }
    assert messages[2]["content"][0] == {
        "type": "tool_result",
        "tool_use_id": "toolu_1",
        "content": "ERROR: no such city",
        "is_error": True,
    }
    assert messages[4]["content"][0]["content"] == "12 C"


async def test_openai_multi_turn_tool_use(model_server: ModelServer) -> None:
    model_server.script = [
        openai_tool_call("call_1", "weather", "{not json"),
        openai_tool_call("call_2", "weather", {"city": "Oslo"}),
        openai_text("12 C.", prompt_tokens=30, completion_tokens=3),
    ]
    weather = Weather()
    result = await run(
        OpenAIProvider("llama3.2", "ollama", model_server.openai_base), ToolSet(inline=[weather])
    )
    assert result.status == "ok", result.error
    assert result.output == "12 C."
    assert weather.cities == ["Oslo"]  # the malformed call never reached the tool
    assert (result.input_tokens, result.output_tokens) == (70, 19)
    last = model_server.requests[-1]
    assert last["headers"]["authorization"] == "Bearer ollama"
    tool_messages = [m for m in last["body"]["messages"] if m["role"] == "tool"]
    assert tool_messages[0]["content"].startswith("ERROR: arguments are not valid JSON")
    assert tool_messages[1] == {"role": "tool", "tool_call_id": "call_2", "content": "12 C"}


async def test_429_with_retry_after_is_honoured(model_server: ModelServer) -> None:
    model_server.script = [
        Reply({"error": {"message": "rate limited"}}, status=429, headers={"Retry-After": "1"}),
        anthropic_text("after the wait"),
    ]
    result = await run(AnthropicProvider("claude-test", "k", model_server.url))
    assert result.output == "after the wait"
    first, second = model_server.requests
    assert second["at"] - first["at"] >= 0.95


async def test_500_then_success(model_server: ModelServer) -> None:
    model_server.script = [
        Reply({"error": {"message": "boom"}}, status=500),
        Reply(raw="upstream", status=502),
        openai_text("fine"),
    ]
    result = await run(OpenAIProvider("gpt-4o", "k", model_server.openai_base))
    assert (result.status, result.output) == ("ok", "fine")
    assert len(model_server.requests) == 3


async def test_retry_after_beyond_the_deadline_gives_up_at_once(model_server: ModelServer) -> None:
    model_server.script = [
        Reply({"error": {"message": "slow down"}}, status=429, headers={"Retry-After": "60"})
    ]
    started = time.monotonic()
    result = await run(AnthropicProvider("claude-test", "k", model_server.url), timeout=5)
    assert result.status == "error"
    assert "HTTP 429: slow down" in result.error
    assert "pass the task deadline" in result.error
    assert time.monotonic() - started < 3


async def test_client_errors_are_not_retried(model_server: ModelServer) -> None:
    model_server.script = [
        Reply(
            {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}},
            status=401,
        )
    ]
    result = await run(AnthropicProvider("claude-test", "bad", model_server.url))
    assert result.status == "error"
    assert result.error == (
        f"anthropic provider: the Anthropic API at {model_server.url}/v1/messages answered HTTP 401: "
        "invalid x-api-key"
    )
    assert len(model_server.requests) == 1


async def test_malformed_json_is_a_clear_error(model_server: ModelServer) -> None:
    model_server.script = [Reply(raw="{this is not json")]
    result = await run(OpenAIProvider("gpt-4o", "k", model_server.openai_base))
    assert result.status == "error"
    assert "answered HTTP 200 with a body that is not JSON" in result.error
    assert "'{this is not json'" in result.error
    model_server.script = [Reply({"choices": []})]
    result = await run(OpenAIProvider("gpt-4o", "k", model_server.openai_base))
    assert "malformed response body (no 'choices')" in result.error


async def test_slow_response_past_the_deadline(model_server: ModelServer) -> None:
    model_server.script = [Reply(anthropic_text("too late").body, delay=5)]
    started = time.monotonic()
    result = await run(AnthropicProvider("claude-test", "k", model_server.url), timeout=0.5)
    assert result.status == "error"
    assert "deadline" in result.error
    assert time.monotonic() - started < 2


async def test_unreachable_server_is_retried_then_reported() -> None:
    provider = OpenAIProvider("gpt-4o", "k", "http://127.0.0.1:9/v1")
    request = ChatRequest(system="", messages=[UserTurn("x")], deadline=time.monotonic() + 2)
    try:
        with pytest.raises(ProviderError, match=r"cannot reach the OpenAI-compatible API.*gave up after"):
            await provider.complete(request)
    finally:
        await provider.aclose()
