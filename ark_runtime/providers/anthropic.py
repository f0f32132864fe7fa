"""Anthropic Messages API (``POST /v1/messages``): tool_use / tool_result blocks, stop_reason, usage."""

from __future__ import annotations

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

DEFAULT_BASE_URL = "https://api.anthropic.com"
SERVICE = "the Anthropic API"
API_VERSION = "2023-06-01"

_STOP_REASONS: dict[str, StopReason] = {
    "end_turn": "end_turn",
    "stop_sequence": "end_turn",
    "tool_use": "tool_use",
    "max_tokens": "max_tokens",
}


class AnthropicProvider:
    """Claude models through the Messages API."""

    name = "anthropic"

    def __init__(
        self,
        model: str,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        limits: Limits | None = None,
    ) -> None:
        self.model = model
        self._api_key = api_key
        self._url = base_url.rstrip("/") + "/v1/messages"
        self._poster = JsonPoster(SERVICE, limits or Limits(), not_found_hint(base_url))

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """One Messages call."""
        headers = {"x-api-key": self._api_key, "anthropic-version": API_VERSION}
        data = await self._poster.post(self._url, headers, anthropic_body(self.model, request), request)
        return anthropic_response(data)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._poster.aclose()


def not_found_hint(base_url: str) -> str:
    """What to check when ``{base_url}/v1/messages`` does not exist."""
    base = base_url.rstrip("/")
    if base.endswith("/v1"):
        return (
            f"ANTHROPIC_BASE_URL is {base!r}: leave out the trailing /v1, ark adds /v1/messages "
            f"(use {base.removesuffix('/v1') or base})"
        )
    return f"check ANTHROPIC_BASE_URL ({base!r}): ark calls {base}/v1/messages"


def anthropic_body(model: str, request: ChatRequest) -> dict[str, Any]:
    """The request body for ``request``."""
    messages: list[dict[str, Any]] = []
    for message in request.messages:
        if isinstance(message, UserTurn):
            messages.append({"role": "user", "content": [{"type": "text", "text": message.text}]})
        elif isinstance(message, AssistantTurn):
            content: list[dict[str, Any]] = []
            if message.text:
                content.append({"type": "text", "text": message.text})
            for call in message.tool_calls:
                content.append(
                    {"type": "tool_use", "id": call.id, "name": call.name, "input": dict(call.arguments)}
                )
            messages.append({"role": "assistant", "content": content})
        elif isinstance(message, ToolResultsTurn):
            messages.append(
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": r.call_id,
                            # Some compatible servers drop is_error: say it in the text too.
                            "content": f"ERROR: {r.text}" if r.is_error else r.text,
                            "is_error": r.is_error,
                        }
                        for r in message.results
                    ],
                }
            )
    body: dict[str, Any] = {"model": model, "max_tokens": request.max_tokens, "messages": messages}
    if request.system:
        body["system"] = request.system
    if request.tools:
        body["tools"] = [
            {"name": t.name, "description": t.description, "input_schema": dict(t.input_schema)}
            for t in request.tools
        ]
    if request.temperature is not None:
        body["temperature"] = request.temperature
    return body


def anthropic_response(data: Mapping[str, Any]) -> ChatResponse:
    """Parse a Messages response; a body of the wrong shape raises :class:`ProviderError`."""
    error = data.get("error")
    if data.get("type") == "error" and isinstance(error, dict):
        raise ProviderError(f"{SERVICE} answered with an error: {str(error.get('message'))[:500]}")
    content = data.get("content")
    if not isinstance(content, list):
        raise ProviderError(f"{SERVICE} sent a malformed response body (no 'content' list)")
    texts: list[str] = []
    calls: list[ToolCall] = []
    for block in content:
        if not isinstance(block, dict):
            raise ProviderError(
                f"{SERVICE} sent a malformed response body (a content block is not an object)"
            )
        if block.get("type") == "text":
            text = block.get("text", "")
            if not isinstance(text, str):
                raise ProviderError(
                    f"{SERVICE} sent a malformed response body (a text block's 'text' is "
                    f"{type(text).__name__}, not a string)"
                )
            texts.append(text)
        elif block.get("type") == "tool_use":
            arguments = block.get("input")
            call_id, name = block.get("id"), block.get("name")
            if not isinstance(call_id, str) or not isinstance(name, str):
                raise ProviderError(f"{SERVICE} sent a malformed tool_use block (no id or name)")
            if isinstance(arguments, dict):
                calls.append(ToolCall(call_id, name, arguments))
            else:
                calls.append(ToolCall(call_id, name, {}, argument_error="tool input must be a JSON object"))
    usage = data.get("usage") or {}
    if not isinstance(usage, dict):
        raise ProviderError(f"{SERVICE} sent a malformed response body ('usage' is not an object)")
    input_tokens = sum(
        token_count(usage, k, SERVICE)
        for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )
    return ChatResponse(
        text="".join(texts),
        tool_calls=tuple(calls),
        stop_reason=_STOP_REASONS.get(str(data.get("stop_reason")), "other"),
        usage=Usage(input_tokens, token_count(usage, "output_tokens", SERVICE)),
    )
