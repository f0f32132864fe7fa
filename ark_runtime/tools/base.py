"""Tools as the tool-use loop sees them, and the :class:`ToolSet` that dispatches calls by name."""

from __future__ import annotations

import contextvars
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ark_runtime.protocol import Task
from ark_runtime.providers.base import ToolSpec

# The task whose tool-use loop is calling a tool. Tools are shared by concurrent tasks, so a
# tool that needs its caller (``delegate``: parent id, delegation path, deadline) reads it here;
# ``run_task`` sets it for the duration of each task.
current_task: contextvars.ContextVar[Task | None] = contextvars.ContextVar("ark_current_task", default=None)


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
    """A group of tools that may appear later (an MCP server still connecting)."""

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


class ToolSet:
    """Every tool of an agent; a name resolves to built-ins first, then inline tools, then MCP tools."""

    def __init__(
        self,
        builtins: Sequence[Tool] = (),
        inline: Sequence[Tool] = (),
        sources: Sequence[ToolSource] = (),
    ) -> None:
        self.builtins = list(builtins)
        self.inline = list(inline)
        self.sources = list(sources)

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
        """The tools as offered to the model."""
        return [ToolSpec(t.name, t.description, t.input_schema) for t in self.resolved().values()]

    async def call(self, name: str, arguments: Mapping[str, Any]) -> ToolResult:
        """Call a tool by name; an unknown name or a raising tool becomes an error result."""
        tool = self.resolved().get(name)
        if tool is None:
            return ToolResult(f"unknown tool {name!r}", is_error=True)
        try:
            return await tool.call(arguments)
        except Exception as exc:  # a tool bug must reach the model as an error, not kill the task
            return ToolResult(f"tool {name!r} failed: {type(exc).__name__}: {exc}", is_error=True)

    def guidance(self) -> str:
        """Per-server guidance for the system prompt."""
        parts = [f"## Tools from {s.name}\n{s.guidance.strip()}" for s in self.sources if s.guidance.strip()]
        return "\n\n".join(parts)
