"""Provider selection, the mock model, and conversion to/from both wire formats."""

from __future__ import annotations

import json

import pytest

from ark_runtime.config import ConfigError
from ark_runtime.providers import (
    AnthropicProvider,
    AssistantTurn,
    ChatRequest,
    MockProvider,
    OpenAIProvider,
    ProviderError,
    ToolCall,
    ToolResultBlock,
    ToolResultsTurn,
    ToolSpec,
    UserTurn,
    provider_name_for,
    select_provider,
)
from ark_runtime.providers.anthropic import anthropic_body, anthropic_response
from ark_runtime.providers.openai import openai_body, openai_response


@pytest.mark.parametrize(
    ("model", "explicit", "expected"),
    [
        ("claude-sonnet-4-6", None, "anthropic"),
        ("gpt-4o", None, "openai"),
        ("o1-mini", None, "openai"),
        ("o3", None, "openai"),
        ("o4-mini", None, "openai"),
        ("mock", None, "mock"),
        ("llama3.2", None, "openai"),
        ("claude-sonnet-4-6", "openai", "openai"),
        ("gpt-4o", "mock", "mock"),
        ("claude-3-haiku", "auto", "anthropic"),
    ],
)
def test_provider_by_model_name_and_explicit_choice(model: str, explicit: str | None, expected: str) -> None:
    assert provider_name_for(model, explicit) == expected


def test_select_provider_builds_the_right_backend() -> None:
    assert isinstance(select_provider("mock", env={}), MockProvider)
    assert isinstance(select_provider("claude-x", env={"ANTHROPIC_API_KEY": "k"}), AnthropicProvider)
    ollama = select_provider(
        "llama3.2", env={"OPENAI_API_KEY": "ollama", "OPENAI_BASE_URL": "http://h:11434/v1"}
    )
    assert isinstance(ollama, OpenAIProvider)


@pytest.mark.parametrize(
    ("model", "explicit", "variable"),
    [
        ("claude-x", None, "ANTHROPIC_API_KEY"),
        ("gpt-4o", None, "OPENAI_API_KEY"),
        ("mock", "openai", "OPENAI_API_KEY"),
    ],
)
def test_missing_key_names_the_variable(model: str, explicit: str | None, variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        select_provider(model, explicit, env={})


def test_unknown_explicit_provider_is_an_error() -> None:
    with pytest.raises(ConfigError, match="unknown provider 'gemini'"):
        provider_name_for("x", "gemini")


# ----------------------------------------------------------------- mock


async def test_mock_answers_with_step_and_first_words() -> None:
    prompt = "topic: the history of the printing press in early modern Europe"
    response = await MockProvider().complete(
        ChatRequest(system="s", messages=[UserTurn(prompt)], step="writer")
    )
    assert response.text == '[mock response for step "writer": topic: the history of the printing press in]'
    assert response.usage.input_tokens == len(prompt) // 4
    assert response.usage.output_tokens == len(response.text) // 4
    assert response.tool_calls == ()


async def test_mock_token_counts_are_at_least_one() -> None:
    response = await MockProvider().complete(ChatRequest(system="", messages=[UserTurn("hi")]))
    assert response.usage.input_tokens == 1


async def test_mock_satisfies_the_output_schema() -> None:
    schema = {
        "type": "object",
        "required": ["title", "tags"],
        "properties": {
            "title": {"type": "string"},
            "tags": {"type": "array", "minItems": 2, "items": {"type": "string"}},
        },
    }
    response = await MockProvider().complete(
        ChatRequest(system="", messages=[UserTurn("x")], output_schema=json.dumps(schema))
    )
    data = json.loads(response.text)
    assert isinstance(data["title"], str)
    assert len(data["tags"]) == 2


async def test_mock_delegates_once_per_role_then_answers_from_the_results() -> None:
    delegate = ToolSpec(
        "delegate", "d", {"type": "object", "properties": {"role": {"enum": ["research", "write"]}}}
    )
    first = await MockProvider().complete(
        ChatRequest(system="", messages=[UserTurn("Plan it")], tools=[delegate])
    )
    assert [(c.name, c.arguments["role"]) for c in first.tool_calls] == [
        ("delegate", "research"),
        ("delegate", "write"),
    ]
    assert first.stop_reason == "tool_use"
    history = [
        UserTurn("Plan it"),
        AssistantTurn("", first.tool_calls),
        ToolResultsTurn(
            (
                ToolResultBlock(first.tool_calls[0].id, "facts"),
                ToolResultBlock(first.tool_calls[1].id, "draft"),
            )
        ),
    ]
    second = await MockProvider().complete(
        ChatRequest(system="", messages=history, tools=[delegate], step="lead")
    )
    assert second.tool_calls == ()
    assert "facts" in second.text
    assert "draft" in second.text


async def test_mock_judge_passes() -> None:
    response = await MockProvider().complete(
        ChatRequest(system="", messages=[UserTurn("Is this good? Answer pass or fail.")], kind="judge")
    )
    assert response.text.split(":")[0] == "pass"


async def test_mock_probe_is_healthy() -> None:
    response = await MockProvider().complete(ChatRequest(system="", messages=[UserTurn("ok?")], kind="probe"))
    assert "HEALTHY" in response.text


# ----------------------------------------------------------------- wire formats

HISTORY = (
    UserTurn("What is 2+2?"),
    AssistantTurn("Let me compute.", (ToolCall("call_1", "calc", {"expr": "2+2"}),)),
    ToolResultsTurn((ToolResultBlock("call_1", "4"),)),
    AssistantTurn("", (ToolCall("call_2", "calc", {"expr": "x"}),)),
    ToolResultsTurn((ToolResultBlock("call_2", "bad expression", is_error=True),)),
)
TOOLS = (ToolSpec("calc", "Evaluate", {"type": "object", "properties": {"expr": {"type": "string"}}}),)


def test_anthropic_request_body() -> None:
    body = anthropic_body(
        "claude-x",
        ChatRequest(system="Be exact.", messages=HISTORY, tools=TOOLS, max_tokens=123, temperature=0.2),
    )
    assert body["model"] == "claude-x"
    assert body["max_tokens"] == 123
    assert body["system"] == "Be exact."
    assert body["temperature"] == 0.2
    assert body["tools"] == [
        {"name": "calc", "description": "Evaluate", "input_schema": TOOLS[0].input_schema}
    ]
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user", "assistant", "user"]
    assert body["messages"][1]["content"] == [
        {"type": "text", "text": "Let me compute."},
        {"type": "tool_use", "id": "call_1", "name": "calc", "input": {"expr": "2+2"}},
    ]
    assert body["messages"][2]["content"] == [
        {"type": "tool_result", "tool_use_id": "call_1", "content": "4", "is_error": False}
    ]
    # An assistant turn with only tool calls carries no empty text block (the API rejects those).
    assert body["messages"][3]["content"][0]["type"] == "tool_use"
    assert body["messages"][4]["content"][0]["is_error"] is True


def test_anthropic_response_parsing() -> None:
    response = anthropic_response(
        {
            "content": [
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "toolu_1", "name": "calc", "input": {"expr": "1"}},
            ],
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 2},
        }
    )
    assert response.text == "Checking."
    assert response.tool_calls == (ToolCall("toolu_1", "calc", {"expr": "1"}),)
    assert response.stop_reason == "tool_use"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (12, 5)
    assert anthropic_response({"content": [], "stop_reason": "max_tokens"}).stop_reason == "max_tokens"


@pytest.mark.parametrize(
    "body", [{}, {"content": "text"}, {"content": [1]}, {"content": [{"type": "tool_use"}]}]
)
def test_anthropic_malformed_responses(body: dict[str, object]) -> None:
    with pytest.raises(ProviderError, match="malformed"):
        anthropic_response(body)


def test_openai_request_body() -> None:
    body = openai_body(
        "gpt-4o",
        ChatRequest(system="Be exact.", messages=HISTORY, tools=TOOLS, max_tokens=50, temperature=0.5),
    )
    assert body["max_tokens"] == 50
    assert body["temperature"] == 0.5
    assert body["tools"] == [
        {
            "type": "function",
            "function": {"name": "calc", "description": "Evaluate", "parameters": TOOLS[0].input_schema},
        }
    ]
    messages = body["messages"]
    assert messages[0] == {"role": "system", "content": "Be exact."}
    assert messages[1] == {"role": "user", "content": "What is 2+2?"}
    assert messages[2]["tool_calls"] == [
        {"id": "call_1", "type": "function", "function": {"name": "calc", "arguments": '{"expr": "2+2"}'}}
    ]
    assert messages[3] == {"role": "tool", "tool_call_id": "call_1", "content": "4"}
    assert messages[4]["content"] is None
    assert messages[5] == {"role": "tool", "tool_call_id": "call_2", "content": "ERROR: bad expression"}


def test_openai_reasoning_models_use_max_completion_tokens() -> None:
    body = openai_body(
        "o3-mini", ChatRequest(system="", messages=[UserTurn("x")], max_tokens=9, temperature=0.1)
    )
    assert body["max_completion_tokens"] == 9
    assert "max_tokens" not in body
    assert "temperature" not in body


def test_openai_response_parsing() -> None:
    response = openai_response(
        {
            "choices": [
                {
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "c1",
                                "type": "function",
                                "function": {"name": "calc", "arguments": '{"expr":"3"}'},
                            },
                            {
                                "id": "c2",
                                "type": "function",
                                "function": {"name": "calc", "arguments": "{oops"},
                            },
                        ],
                    },
                    "finish_reason": "tool_calls",
                }
            ],
            "usage": {"prompt_tokens": 7, "completion_tokens": 3},
        }
    )
    assert response.text == ""
    assert response.tool_calls[0] == ToolCall("c1", "calc", {"expr": "3"})
    assert "not valid JSON" in response.tool_calls[1].argument_error
    assert response.stop_reason == "tool_use"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (7, 3)


@pytest.mark.parametrize(
    "body",
    [{}, {"choices": []}, {"choices": [{"message": "x"}]}, {"choices": [{"message": {"tool_calls": [{}]}}]}],
)
def test_openai_malformed_responses(body: dict[str, object]) -> None:
    with pytest.raises(ProviderError, match="malformed"):
        openai_response(body)


async def test_mock_delegates_a_non_empty_task_when_the_run_had_no_input() -> None:
    delegate = ToolSpec("delegate", "d", {"type": "object", "properties": {"role": {"enum": ["billing"]}}})
    response = await MockProvider().complete(
        ChatRequest(system="", messages=[UserTurn("")], tools=[delegate], step="triage")
    )
    assert [c.arguments for c in response.tool_calls] == [
        {"role": "billing", "task": 'the task of step "triage"'}
    ]
