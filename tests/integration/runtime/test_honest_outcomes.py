"""Honest outcomes (issue 16, item 4), as a user of ``ark run`` sees them, against loopback servers
speaking the real Anthropic and OpenAI formats: answers cut at the token limit, 404s on the
provider's path, a model stuck repeating one call."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tests.integration.runtime.support import (
    ModelServer,
    Reply,
    ThreadedServer,
    anthropic_text,
    openai_text,
    openai_tool_call,
)

ARK = str(Path(sys.executable).parent / "ark")
REPO = Path(__file__).resolve().parents[3]

TEAM = """
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata: {{name: honest}}
spec:
  roles:
    - name: writer
      model: {model}
      systemPrompt: You write.
      limits: {{timeoutSeconds: {timeout}, maxTokensPerCall: {max_tokens}}}
{extra}
  pipeline:
    - role: writer
      inputs: {{prompt: Write a poem.}}
{step_extra}
"""


def ark_run(
    tmp_path: Path,
    provider: str,
    base_url: str,
    *args: str,
    extra: str = "",
    step_extra: str = "",
    max_tokens: int = 50,
    timeout: int = 20,
) -> subprocess.CompletedProcess[str]:
    model = "claude-test" if provider == "anthropic" else "gpt-test"
    team = tmp_path / "team.yaml"
    team.write_text(
        TEAM.format(model=model, extra=extra, step_extra=step_extra, max_tokens=max_tokens, timeout=timeout)
    )
    ours = ("OPENAI_", "ANTHROPIC_", "ARK_", "AGENT_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    if provider == "openai":
        env.update(OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=base_url)
    else:
        env.update(ANTHROPIC_API_KEY="sk-ant-test", ANTHROPIC_BASE_URL=base_url)
    return subprocess.run(
        [ARK, "run", str(team), "--provider", provider, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout + 60,
        check=False,
        cwd=REPO,
    )


def cut_off(provider: str, text: str) -> Reply:
    """An answer that stopped at the token limit, in ``provider``'s format."""
    if provider == "openai":
        reply = openai_text(text)
        reply.body["choices"][0]["finish_reason"] = "length"
    else:
        reply = anthropic_text(text)
        reply.body["stop_reason"] = "max_tokens"
    return reply


def base(model_server: ModelServer, provider: str) -> str:
    return model_server.openai_base if provider == "openai" else model_server.url


NOTE = "output cut off at the token limit (limits.maxTokensPerCall), it may be incomplete"


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_an_answer_cut_at_the_token_limit_is_marked_truncated(
    tmp_path: Path, model_server: ModelServer, provider: str
) -> None:
    model_server.responder = lambda _: cut_off(provider, "Roses are red, violets")
    done = ark_run(tmp_path, provider, base(model_server, provider), "-o", "json", "--watch")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    (step,) = result["steps"]
    assert (step["truncated"], step["message"], step["output"]) == (True, NOTE, "Roses are red, violets")
    assert (result["phase"], result["message"]) == ("Succeeded", f"step writer: {NOTE}")
    assert "writer [done, truncated]" in done.stderr
    text = ark_run(tmp_path, provider, base(model_server, provider))
    assert f"Note: step writer: {NOTE}" in text.stdout


def test_a_complete_answer_is_not_marked(tmp_path: Path, model_server: ModelServer) -> None:
    model_server.responder = lambda _: openai_text("A whole poem.")
    done = ark_run(tmp_path, "openai", model_server.openai_base, "-o", "json")
    (step,) = json.loads(done.stdout)["steps"]
    assert (step["truncated"], step["message"], json.loads(done.stdout)["message"]) == (False, None, None)


def test_a_schema_error_on_a_truncated_answer_names_the_likely_cause(
    tmp_path: Path, model_server: ModelServer
) -> None:
    model_server.responder = lambda _: cut_off("anthropic", '{"title": "Roses", "lines": ["Roses are')
    schema = '      outputSchema: \'{"type": "object", "required": ["title", "lines"]}\''
    done = ark_run(tmp_path, "anthropic", model_server.url, step_extra=schema)
    assert done.returncode == 1
    assert done.stderr.startswith('ark run: failed: step "writer": output ')
    assert done.stderr.endswith(
        "; the answer was cut off at the token limit (limits.maxTokensPerCall), the likely cause "
        "(after a retry)\n"
    )


def test_a_404_on_the_anthropic_path_names_the_url_and_the_fix(
    tmp_path: Path, model_server: ModelServer
) -> None:
    done = ark_run(tmp_path, "anthropic", f"{model_server.url}/v1")
    assert done.returncode == 1
    assert done.stderr == (
        'ark run: failed: step "writer": anthropic provider: the Anthropic API at '
        f"{model_server.url}/v1/v1/messages answered HTTP 404: Not Found (ANTHROPIC_BASE_URL is "
        f"'{model_server.url}/v1': leave out the trailing /v1, ark adds /v1/messages "
        f"(use {model_server.url}))\n"
    )


def test_a_404_on_the_openai_path_names_the_url_and_the_fix(
    tmp_path: Path, model_server: ModelServer
) -> None:
    done = ark_run(tmp_path, "openai", model_server.url)
    assert done.returncode == 1
    assert done.stderr == (
        f'ark run: failed: step "writer": openai provider: the OpenAI-compatible API at {model_server.url}'
        f"/chat/completions answered HTTP 404: Not Found (OPENAI_BASE_URL is '{model_server.url}'; "
        f"OpenAI-compatible servers usually serve it under /v1, e.g. {model_server.url}/v1 "
        "(ark adds /chat/completions))\n"
    )


def test_a_404_about_the_model_gets_no_url_hint(tmp_path: Path, model_server: ModelServer) -> None:
    error = {"error": {"message": "The model `gpt-test` does not exist", "code": "model_not_found"}}
    model_server.responder = lambda _: Reply(error, status=404)
    done = ark_run(tmp_path, "openai", model_server.openai_base)
    assert done.stderr.endswith("answered HTTP 404: The model `gpt-test` does not exist\n")


@pytest.fixture
def lookup_tool() -> Iterator[ThreadedServer]:
    async def lookup(_: Request) -> PlainTextResponse:
        return PlainTextResponse("no entry for 'unicorn'")

    server = ThreadedServer(Starlette(routes=[Route("/lookup", lookup, methods=["POST"])]))
    server.start()
    yield server
    server.stop()


def test_a_model_repeating_the_same_call_is_told_once_then_stopped(
    tmp_path: Path, model_server: ModelServer, lookup_tool: ThreadedServer
) -> None:
    model_server.responder = lambda _: openai_tool_call("call_1", "lookup", {"word": "unicorn"})
    tools = f"      tools:\n        - {{name: lookup, url: '{lookup_tool.url}/lookup'}}"
    done = ark_run(tmp_path, "openai", model_server.openai_base, extra=tools)
    assert done.returncode == 1
    assert done.stderr == (
        "ark run: failed: step \"writer\": the model called tool 'lookup' with the same arguments 4 times, "
        "the same result coming back each time, and went on after being told that 3 identical calls are "
        "enough; the task was ended to save tokens (AGENT_MAX_REPEATED_TOOL_CALLS=3)\n"
    )
    assert len(model_server.requests) == 4  # not the 20 turns it would have burnt
    last: list[dict[str, Any]] = model_server.requests[-1]["body"]["messages"]
    shown = [m["content"] for m in last if m["role"] == "tool"]
    assert shown[:2] == ["no entry for 'unicorn'"] * 2
    assert shown[2].startswith(
        "no entry for 'unicorn'\n\n[ark: you have now called lookup 3 times with exactly"
    )
    assert len(shown) == 3  # told once
