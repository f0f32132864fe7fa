"""Tools as the tool-use loop sees them, and the :class:`ToolSet` that dispatches calls by name."""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ark_runtime.limits import DEFAULT_TOOL_RESULT_BYTES, describe_bytes
from ark_runtime.protocol import Task
from ark_runtime.providers.base import ToolSpec

ToolObserver = Callable[[str | None, bool, float], None]
"""``(tool name, or None for a name the agent has not got; is_error; seconds)``."""

log = logging.getLogger("ark_runtime.tools")

# The task whose tool-use loop is calling a tool. Tools are shared by concurrent tasks, so a
# tool that needs its caller (``delegate``: parent id, delegation path, deadline) reads it here;
# ``run_task`` sets it for the duration of each task.
current_task: contextvars.ContextVar[Task | None] = contextvars.ContextVar("ark_current_task", default=None)


@dataclass(frozen=True, slots=True)
class Offer:
    """The tools one task is offered, taken when it starts, and the guidance of the servers offering them."""

    specs: tuple[ToolSpec, ...]
    guidance: str


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What a tool call produced; ``is_error`` results are still shown to the model."""

    text: str
    is_error: bool = False


class Tool(Protocol):
    """A callable tool: name, description, JSON Schema of its arguments."""

    @property
    def name(self) -> str:
        """Name the model calls it by."""
        ...

    @property
    def description(self) -> str:
        """What it does, for the model."""
        ...

    @property
    def input_schema(self) -> Mapping[str, Any]:
        """JSON Schema of the arguments."""
        ...

    async def call(self, arguments: Mapping[str, Any]) -> ToolResult:
        """Run the tool; failures are returned as ``ToolResult(is_error=True)``, never raised."""
        ...


class ToolSource(Protocol):
    """A group of tools that may change: appear later (an MCP server still connecting), change, go away."""

    @property
    def name(self) -> str:
        """Server name."""
        ...

    @property
    def guidance(self) -> str:
        """Text appended to the system prompt under the server's name ('' for none)."""
        ...

    def tools(self) -> Sequence[Tool]:
        """The tools available right now."""
        ...


def cut(text: str, max_bytes: int) -> tuple[str, bool]:
    """``text`` cut to at most ``max_bytes`` UTF-8 bytes (on a character boundary), and whether it was."""
    if len(text) <= max_bytes // 4:  # at most 4 bytes a character: no need to encode
        return text, False
    raw = text.encode("utf-8", "surrogatepass")
    if len(raw) <= max_bytes:
        return text, False
    return raw[:max_bytes].decode("utf-8", "ignore"), True


class ToolSet:
    """Every tool of an agent; a name resolves to built-ins first, then inline tools, then MCP tools.

    Results of inline and server tools longer than ``max_result_bytes`` are cut, with a marker the
    model reads, and logged. Built-in results are not: ``delegate`` returns another task's output,
    already bounded by the result cap.
    """

    def __init__(
        self,
        builtins: Sequence[Tool] = (),
        inline: Sequence[Tool] = (),
        sources: Sequence[ToolSource] = (),
        max_result_bytes: int = DEFAULT_TOOL_RESULT_BYTES,
        on_call: ToolObserver | None = None,
    ) -> None:
        self.builtins = list(builtins)
        self.on_call = on_call
        """Told of every call: ``(tool name or None when unknown, is_error, seconds)`` (metrics)."""
        self.inline = list(inline)
        self.sources = list(sources)
        self.max_result_bytes = max_result_bytes

    def resolved(self) -> dict[str, Tool]:
        """Name -> tool after the priority rule (reference §14.2)."""
        table: dict[str, Tool] = {}
        for source in reversed(self.sources):
            for tool in source.tools():
                table[tool.name] = tool
        for tool in self.inline:
            table[tool.name] = tool
        for tool in self.builtins:
            table[tool.name] = tool
        return table

    def specs(self) -> list[ToolSpec]:
        """The tools as offered to the model right now."""
        return [ToolSpec(t.name, t.description, t.input_schema) for t in self.resolved().values()]

    def offer(self) -> Offer:
        """What a task starting now is offered: the tools, and the guidance of the servers that have any.

        One consistent picture of every source (nothing awaits in between); a task keeps it to its
        end, while the sources move on (a server reconnecting, or announcing new tools).
        """
        parts = [
            f"## Tools from {source.name}\n{source.guidance.strip()}"
            for source in self.sources
            if source.guidance.strip() and source.tools()
        ]
        return Offer(tuple(self.specs()), "\n\n".join(parts))

    async def call(self, name: str, arguments: Mapping[str, Any]) -> ToolResult:
        """Call a tool by name; an unknown name or a raising tool becomes an error result."""
        tool = self.resolved().get(name)
        if tool is None:
            if self.on_call is not None:
                self.on_call(None, True, 0.0)
            return ToolResult(f"unknown tool {name!r}", is_error=True)
        started = time.monotonic()
        try:
            result = await tool.call(arguments)
        except Exception as exc:  # a tool bug must reach the model as an error, not kill the task
            result = ToolResult(f"tool {name!r} failed: {type(exc).__name__}: {exc}", is_error=True)
        if self.on_call is not None:
            self.on_call(name, result.is_error, time.monotonic() - started)
        if tool in self.builtins:
            return result
        text, was_cut = cut(result.text, self.max_result_bytes)
        if not was_cut:
            return result
        cap = describe_bytes(self.max_result_bytes)
        log.warning("tool result truncated", extra={"tool": name, "cap_bytes": self.max_result_bytes})
        return ToolResult(
            f"{text}\n[ark: the result of {name} was longer than {cap} and was cut here "
            "(AGENT_MAX_TOOL_RESULT_BYTES)]",
            result.is_error,
        )
