"""The mock model: deterministic, no network, no key.

- A probe task (``kind="probe"``) is answered ``HEALTHY``: a mock model is always well.
- A judge task (``kind="judge"``, a step's ``validate.semantic`` check) is answered ``pass``: the
  mock approves every output it is asked to judge.
- When a ``delegate`` tool is offered and nothing has been delegated yet, the first answer calls
  ``delegate`` once per role the tool allows (in the order given), so dynamic teams exercise
  delegation; the next answer uses the tool results.
- A step with an ``output_schema`` gets JSON that satisfies it (:func:`instance_for`).
- Otherwise the answer is ``[mock response for step "<step>": <first words of the prompt>]``.

Token counts are simulated: ``len(prompt) // 4`` in and ``len(reply) // 4`` out, at least 1 each.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from ark_runtime.providers.base import (
    AssistantTurn,
    ChatRequest,
    ChatResponse,
    Message,
    ToolCall,
    ToolResultsTurn,
    ToolSpec,
    Usage,
    UserTurn,
)
from ark_runtime.providers.schema_instance import SchemaInstanceError, instance_for

_PREVIEW_WORDS = 8


class MockProvider:
    """A :class:`~ark_runtime.providers.base.Provider` that answers from the request alone."""

    name = "mock"
    model = "mock"

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """Answer deterministically; never fails, never blocks."""
        prompt = _task_prompt(request.messages)
        if request.kind == "probe":
            return _response("HEALTHY", prompt)
        if request.kind == "judge":
            return _response("pass: the mock judge approves every output", prompt)
        delegate = next((t for t in request.tools if t.name == "delegate"), None)
        results = [r for m in request.messages if isinstance(m, ToolResultsTurn) for r in m.results]
        if delegate is not None and not _has_tool_calls(request.messages):
            # delegate() refuses an empty task, and a run started without input has an empty prompt.
            task = prompt.strip() or f'the task of step "{request.step}"'
            calls = tuple(
                ToolCall(id=f"mock_delegate_{i}", name="delegate", arguments={"role": role, "task": task})
                for i, role in enumerate(_delegate_roles(delegate))
            )
            if calls:
                return ChatResponse(
                    text="", tool_calls=calls, stop_reason="tool_use", usage=_usage(prompt, "delegate")
                )
        reply = _answer(request, prompt)
        if results and not request.output_schema:
            reply += "".join(f"\n- {'error: ' if r.is_error else ''}{r.text}" for r in results)
        return _response(reply, prompt)

    async def aclose(self) -> None:
        """Nothing to release."""


def _task_prompt(messages: Sequence[Message]) -> str:
    return next((m.text for m in messages if isinstance(m, UserTurn)), "")


def _has_tool_calls(messages: Sequence[Message]) -> bool:
    return any(isinstance(m, AssistantTurn) and m.tool_calls for m in messages)


def _delegate_roles(tool: ToolSpec) -> list[str]:
    role = tool.input_schema.get("properties", {}).get("role", {})
    enum = role.get("enum", []) if isinstance(role, dict) else []
    return [r for r in enum if isinstance(r, str)]


def _answer(request: ChatRequest, prompt: str) -> str:
    preview = " ".join(prompt.split()[:_PREVIEW_WORDS])
    text = f'[mock response for step "{request.step or "task"}": {preview}]'
    if not request.output_schema:
        return text
    try:
        schema = json.loads(request.output_schema)
        return json.dumps(instance_for(schema))
    except (json.JSONDecodeError, SchemaInstanceError) as exc:
        # A real model would also fail to satisfy a broken schema; say why in the answer.
        return f"{text} (no JSON instance for the output schema: {exc})"


def _usage(prompt: str, reply: str) -> Usage:
    return Usage(input_tokens=max(1, len(prompt) // 4), output_tokens=max(1, len(reply) // 4))


def _response(reply: str, prompt: str) -> ChatResponse:
    return ChatResponse(text=reply, stop_reason="end_turn", usage=_usage(prompt, reply))
