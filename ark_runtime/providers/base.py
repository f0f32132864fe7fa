"""Provider-neutral chat types and the :class:`Provider` protocol every model backend implements."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

StopReason = Literal["end_turn", "tool_use", "max_tokens", "other"]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """The model asks to call ``name`` with ``arguments``; ``id`` pairs it with its result."""

    id: str
    name: str
    arguments: Mapping[str, Any]
    # Set when the provider returned arguments that are not a JSON object; the loop reports
    # it to the model as a tool error instead of calling the tool.
    argument_error: str = ""


@dataclass(frozen=True, slots=True)
class ToolResultBlock:
    """The outcome of one tool call, sent back to the model."""

    call_id: str
    text: str
    is_error: bool = False


@dataclass(frozen=True, slots=True)
class UserTurn:
    """Text from the user (the task prompt)."""

    text: str


@dataclass(frozen=True, slots=True)
class AssistantTurn:
    """What the model said: text and/or tool calls."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True, slots=True)
class ToolResultsTurn:
    """The results of every tool call of the preceding assistant turn."""

    results: tuple[ToolResultBlock, ...]


Message = UserTurn | AssistantTurn | ToolResultsTurn


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool as the model sees it: name, description and JSON Schema of its arguments."""

    name: str
    description: str
    input_schema: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens of one or more calls."""

    input_tokens: int = 0
    output_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.input_tokens + other.input_tokens, self.output_tokens + other.output_tokens)

    @property
    def total(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One model call.

    ``deadline`` is a :func:`time.monotonic` instant after which the call must give up.
    ``step``, ``kind`` and ``output_schema`` describe the task being worked on; real models
    ignore them (the schema is already in the prompt), the mock provider answers from them.
    """

    system: str
    messages: Sequence[Message]
    tools: Sequence[ToolSpec] = ()
    max_tokens: int = 8000
    temperature: float | None = None
    deadline: float | None = None
    step: str = ""
    kind: str = "step"
    output_schema: str = ""

    def remaining(self) -> float | None:
        """Seconds left before the deadline (never negative), or None without a deadline."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())


@dataclass(frozen=True, slots=True)
class ChatResponse:
    """The model's answer to one call."""

    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    stop_reason: StopReason = "end_turn"
    usage: Usage = field(default_factory=Usage)


class ProviderError(Exception):
    """A model call failed; the message is fit to show a user (never contains a key).

    ``retryable`` marks failures worth another attempt (429, 5xx, connection errors);
    ``retry_after`` is the server's ``Retry-After`` in seconds when it sent one.
    """

    def __init__(
        self, message: str, *, retryable: bool = False, status: int = 0, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


MAX_PLAUSIBLE_TOKENS = 10_000_000
"""More tokens than any model's context in one call: a count above it is a broken server, not usage."""


def token_count(usage: Mapping[str, Any], key: str, service: str) -> int:
    """``usage[key]`` as a token count (0 when absent); a negative, absurd or non-integer value raises
    :class:`ProviderError`, so budgets never run on silently wrong numbers."""
    value = usage.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PLAUSIBLE_TOKENS:
        raise ProviderError(
            f"{service} sent an impossible token count: usage.{key} = {json.dumps(value)[:50]} "
            f"(expected an integer from 0 to {MAX_PLAUSIBLE_TOKENS})"
        )
    return value


class Provider(Protocol):
    """A model backend: one call in, one answer out; the tool-use loop lives in ``ark_runtime.loop``."""

    name: str
    """The backend's name, also the span attribute ``gen_ai.system``: ``anthropic``, ``openai``, ``mock``."""
    model: str
    """The model requested (``gen_ai.request.model``)."""

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """Call the model once; raises :class:`ProviderError` with a clear reason on failure."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
