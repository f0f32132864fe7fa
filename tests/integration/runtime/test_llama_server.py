"""Both providers against a real Anthropic- and OpenAI-compatible server: llama.cpp's llama-server.

The Gemma 3 270M model's answers are short and often wrong: what is asserted is the protocol
and the outcome a user sees (exit code, truncation, token counts, the error for a wrong URL).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ark_runtime.providers import AnthropicProvider, ChatRequest, UserTurn
from tests.integration.runtime.test_honest_outcomes import NOTE, ark_run
from tests.support.llama import LlamaServer


@pytest.fixture(scope="module")
def llama() -> Iterator[LlamaServer]:
    server = LlamaServer()
    try:
        server.wait_ready()
        yield server
    finally:
        server.close()


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_an_answer_stopped_at_the_token_limit_is_truncated(
    tmp_path: Path, llama: LlamaServer, provider: str
) -> None:
    base = f"{llama.url}/v1" if provider == "openai" else llama.url
    # A small model on a busy 2-core machine: few tokens, a generous deadline.
    done = ark_run(tmp_path, provider, base, "-o", "json", max_tokens=6, timeout=180)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    (step,) = result["steps"]
    # A base model rambles on until maxTokensPerCall cuts it off.
    assert (step["truncated"], step["message"]) == (True, NOTE)
    assert step["tokens"]["output"] == 6
    assert step["tokens"]["input"] > 20  # the system prompt and the task, as llama.cpp counted them


def test_a_base_url_ending_in_v1_names_the_fix(tmp_path: Path, llama: LlamaServer) -> None:
    done = ark_run(tmp_path, "anthropic", f"{llama.url}/v1")
    assert done.returncode == 1
    assert done.stderr == (
        'ark run: failed: step "writer": anthropic provider: the Anthropic API at '
        f"{llama.url}/v1/v1/messages answered HTTP 404: File Not Found (ANTHROPIC_BASE_URL is "
        f"'{llama.url}/v1': leave out the trailing /v1, ark adds /v1/messages (use {llama.url}))\n"
    )


async def test_cached_input_tokens_are_counted(llama: LlamaServer) -> None:
    # llama.cpp's Messages endpoint reports the cached part of the prompt separately
    # (cache_read_input_tokens); the input count must not shrink when the cache is hit.
    provider = AnthropicProvider("claude-test", "k", llama.url)
    request = ChatRequest(
        system="You write.",
        messages=[UserTurn("Write one word about the sea.")],
        max_tokens=3,
        deadline=time.monotonic() + 60,
    )
    try:
        first = await provider.complete(request)
        second = await provider.complete(request)
    finally:
        await provider.aclose()
    assert first.usage.input_tokens > 5
    assert second.usage.input_tokens == first.usage.input_tokens
    assert (first.stop_reason, second.stop_reason) == ("max_tokens", "max_tokens")
