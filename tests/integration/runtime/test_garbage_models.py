"""Garbage in, clear error out: model answers of the wrong shape, in both wire formats.

Each reply is real HTTP from a loopback server; what is asserted is the task's error as a user
reads it (in ``ark run``'s output or the ArkRun's status): it names what was wrong, and never is a
trace, a hang, or a silently wrong token count.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from ark_runtime.loop import run_task
from ark_runtime.protocol import Result, Task
from ark_runtime.providers import AnthropicProvider, OpenAIProvider
from ark_runtime.tools import ToolSet
from tests.integration.runtime.support import ModelServer, Reply, anthropic_text, openai_text

TASK = Task(id="run.step.1", run="run", step="step", prompt="Say something.")


async def answer(model_server: ModelServer, provider: str, reply: Reply) -> Result:
    model_server.script = [reply]
    client: Any = (
        OpenAIProvider("gpt-test", "k", model_server.openai_base)
        if provider == "openai"
        else AnthropicProvider("claude-test", "k", model_server.url)
    )
    try:
        return await run_task(
            TASK,
            provider=client,
            tools=ToolSet(),
            system_prompt="You answer.",
            max_tokens=100,
            deadline=time.monotonic() + 10,
            consumer="pod",
        )
    finally:
        await client.aclose()


def with_body(reply: Reply, **changes: Any) -> Reply:
    """``reply`` with keys of its JSON body replaced (``usage__prompt_tokens`` for nested ones)."""
    body = dict(reply.body)
    for key, value in changes.items():
        path = key.split("__")
        target = body
        for part in path[:-1]:
            target[part] = dict(target[part])
            target = target[part]
        target[path[-1]] = value
    return Reply(body)


def openai_content(value: Any) -> Reply:
    reply = openai_text("x")
    choice = dict(reply.body["choices"][0])
    choice["message"] = {"role": "assistant", "content": value}
    return with_body(reply, choices=[choice])


BOTH = [
    (
        Reply(
            raw="<html><head><title>502 Bad Gateway</title></head></html>",
            headers={"content-type": "text/html"},
        ),
        "answered HTTP 200 with an HTML page instead of JSON (a proxy's or server's error page?): "
        "'<html><head><title>502 Bad Gateway",
    ),
    (Reply(raw=b'{"choices": "\xff\xfe broken"}'), "answered HTTP 200 with a body that is not valid UTF-8"),
    (
        Reply(
            raw='data: {"choices": [{"delta": {"content": "Hel', headers={"content-type": "text/event-stream"}
        ),
        "answered HTTP 200 with an event stream instead of one JSON answer (ark does not ask for streaming)",
    ),
    (
        Reply(raw='{"id": "cut in the mid'),
        "answered HTTP 200 with a body that is not JSON (Unterminated string",
    ),
    (Reply(raw="[1, 2, 3]"), "sent a malformed response body (not a JSON object): '[1, 2, 3]'"),
]

OPENAI = [
    (with_body(openai_text("x"), choices=[]), "malformed response body (no 'choices')"),
    (openai_content(42), "malformed response body ('message.content' is int, not text)"),
    (openai_content({"text": "x"}), "malformed response body ('message.content' is dict, not text)"),
    (
        with_body(openai_text("x"), usage__prompt_tokens=-5),
        "impossible token count: usage.prompt_tokens = -5",
    ),
    (
        with_body(openai_text("x"), usage__completion_tokens=10**12),
        "impossible token count: usage.completion_tokens = 1000000000000",
    ),
    (
        with_body(openai_text("x"), usage__prompt_tokens="12"),
        'impossible token count: usage.prompt_tokens = "12"',
    ),
    (with_body(openai_text("x"), usage="lots"), "'usage' is not an object"),
]

ANTHROPIC = [
    (with_body(anthropic_text("x"), content="hello"), "malformed response body (no 'content' list)"),
    (
        with_body(anthropic_text("x"), content=[{"type": "text", "text": 42}]),
        "a text block's 'text' is int, not a string",
    ),
    (
        with_body(anthropic_text("x"), usage__output_tokens=-1),
        "impossible token count: usage.output_tokens = -1",
    ),
    (
        with_body(anthropic_text("x"), usage__input_tokens=3.5),
        "impossible token count: usage.input_tokens = 3.5",
    ),
    (
        Reply({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        "the Anthropic API answered with an error: Overloaded",
    ),
]


@pytest.mark.parametrize(
    ("provider", "reply", "expected"),
    [
        *(("openai", r, e) for r, e in BOTH + OPENAI),
        *(("anthropic", r, e) for r, e in BOTH + ANTHROPIC),
    ],
)
async def test_a_malformed_answer_is_a_task_error_naming_what_was_wrong(
    model_server: ModelServer, provider: str, reply: Reply, expected: str
) -> None:
    result = await answer(model_server, provider, reply)
    assert result.status == "error"
    assert expected in result.error
    assert result.error.startswith(f"{provider} provider: ")
    assert "Traceback" not in result.error
    assert (result.input_tokens, result.output_tokens) == (0, 0)


async def test_content_as_a_list_of_text_parts_is_read(model_server: ModelServer) -> None:
    parts = [{"type": "text", "text": "Hello, "}, {"type": "text", "text": "world."}]
    result = await answer(model_server, "openai", openai_content(parts))
    assert (result.status, result.output) == ("ok", "Hello, world.")
