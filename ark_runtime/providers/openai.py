"""OpenAI-compatible Chat Completions (``POST {base}/chat/completions``).

Also the wire format of Ollama, vLLM and llama.cpp servers: point ``OPENAI_BASE_URL`` at them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ark_runtime.limits import Limits
from ark_runtime.providers.base import (
    AssistantTurn,
    ChatRequest,
    ChatResponse,
    ProviderError,
    StopReason,
    ToolCall,
    ToolResultsTurn,
    Usage,
    UserTurn,
    token_count,
)
from ark_runtime.providers.http import JsonPoster

DEFAULT_BASE_URL = "https://api.openai.com/v1"
SERVICE = "the OpenAI-compatible API"

_STOP_REASONS: dict[str, StopReason] = {
    "stop": "end_turn",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "length": "max_tokens",
}
# Reasoning models take max_completion_tokens and no temperature.
_REASONING = re.compile(r"^o\d")


class OpenAIProvider:
    """GPT and o-series models, or any server speaking Chat Completions."""

    name = "openai"

    def __init__(
        self,
        model: str,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        limits: Limits | None = None,
    ) -> None:
        self.model = model
        self._api_key = api_key
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._poster = JsonPoster(SERVICE, limits or Limits(), not_found_hint(base_url))

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """One Chat Completions call."""
        headers = {"Authorization": f"Bearer {self._api_key}"}
        data = await self._poster.post(self._url, headers, openai_body(self.model, request), request)
        return openai_response(data)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._poster.aclose()


def not_found_hint(base_url: str) -> str:
    """What to check when ``{base_url}/chat/completions`` does not exist."""
    base = base_url.rstrip("/")
    if not base.endswith("/v1"):
        return (
            f"OPENAI_BASE_URL is {base!r}; OpenAI-compatible servers usually serve it under /v1, "
            f"e.g. {base}/v1 (ark adds /chat/completions)"
        )
    return f"check OPENAI_BASE_URL ({base!r}): ark calls {base}/chat/completions"


def openai_body(model: str, request: ChatRequest) -> dict[str, Any]:
    """The request body for ``request``."""
    messages: list[dict[str, Any]] = []
    if request.system:
        messages.append({"role": "system", "content": request.system})
    for message in request.messages:
        if isinstance(message, UserTurn):
            messages.append({"role": "user", "content": message.text})
        elif isinstance(message, AssistantTurn):
            entry: dict[str, Any] = {"role": "assistant", "content": message.text or None}
            if message.tool_calls:
                entry["tool_calls"] = [
                    {
                        "id": c.id,
                        "type": "function",
                        "function": {"name": c.name, "arguments": json.dumps(dict(c.arguments))},
                    }
                    for c in message.tool_calls
                ]
            messages.append(entry)
        elif isinstance(message, ToolResultsTurn):
            # Chat Completions has no error flag on tool messages; say it in the content.
            messages.extend(
                {
                    "role": "tool",
                    "tool_call_id": r.call_id,
                    "content": f"ERROR: {r.text}" if r.is_error else r.text,
                }
                for r in message.results
            )
    body: dict[str, Any] = {"model": model, "messages": messages}
    if _REASONING.match(model):
        body["max_completion_tokens"] = request.max_tokens
    else:
        body["max_tokens"] = request.max_tokens
        if request.temperature is not None:
            body["temperature"] = request.temperature
    if request.tools:
        body["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": dict(t.input_schema),
                },
            }
            for t in request.tools
        ]
    return body


def openai_response(data: Mapping[str, Any]) -> ChatResponse:
    """Parse a Chat Completions response; a body of the wrong shape raises :class:`ProviderError`."""
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ProviderError(f"{SERVICE} sent a malformed response body (no 'choices')")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise ProviderError(f"{SERVICE} sent a malformed response body (no 'message')")
    raw_calls = message.get("tool_calls") or []
    if not isinstance(raw_calls, list):
        raise ProviderError(f"{SERVICE} sent a malformed response body ('tool_calls' is not a list)")
    calls = tuple(_tool_call(raw) for raw in raw_calls)
    usage = data.get("usage") or {}
    if not isinstance(usage, dict):
        raise ProviderError(f"{SERVICE} sent a malformed response body ('usage' is not an object)")
    return ChatResponse(
        text=_content(message.get("content")),
        tool_calls=calls,
        stop_reason=_STOP_REASONS.get(str(choices[0].get("finish_reason")), "other"),
        usage=Usage(
            token_count(usage, "prompt_tokens", SERVICE), token_count(usage, "completion_tokens", SERVICE)
        ),
    )


def _content(content: Any) -> str:
    # A string, null with tool calls, or (some compatible servers) a list of text parts.
    if content is None or isinstance(content, str):
        return content or ""
    if isinstance(content, list) and all(
        isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str) for p in content
    ):
        return "".join(p["text"] for p in content)
    raise ProviderError(
        f"{SERVICE} sent a malformed response body ('message.content' is {type(content).__name__}, not text)"
    )


def _tool_call(raw: Any) -> ToolCall:
    function = raw.get("function") if isinstance(raw, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise ProviderError(f"{SERVICE} sent a malformed tool call (no function name)")
    call_id = str(raw.get("id") or f"call_{function['name']}")
    arguments = function.get("arguments") or "{}"
    try:
        parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
    except json.JSONDecodeError as exc:
        return ToolCall(call_id, function["name"], {}, argument_error=f"arguments are not valid JSON: {exc}")
    if not isinstance(parsed, dict):
        return ToolCall(call_id, function["name"], {}, argument_error="arguments must be a JSON object")
    return ToolCall(call_id, function["name"], parsed)
