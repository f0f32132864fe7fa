"""A tool living on a remote server, exposed to the model as ``<server>__<tool>``, and what its
answers and failures look like to the model and in the logs."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jsonschema

from ark_runtime.tools.base import ToolResult
from ark_runtime.tools.http_tool import argument_error

if TYPE_CHECKING:
    import mcp_types

SEPARATOR = "__"

RemoteCall = Callable[[str, Mapping[str, Any]], Awaitable[ToolResult]]
"""``async (remote_tool_name, arguments) -> ToolResult`` of the server connection."""


def prefixed(server: str, tool: str) -> str:
    """The name the model sees."""
    return f"{server}{SEPARATOR}{tool}"


@dataclass(frozen=True)
class RemoteTool:
    """A server's tool; calls go through the connection's :data:`RemoteCall` with the prefix stripped."""

    server: str
    remote_name: str
    description: str
    input_schema: Mapping[str, Any]
    remote_call: RemoteCall

    @property
    def name(self) -> str:
        """``<server>__<tool>``."""
        return prefixed(self.server, self.remote_name)

    async def call(self, arguments: Mapping[str, Any]) -> ToolResult:
        """Validate against the advertised schema (when it is a valid one), then call the server."""
        try:
            validator = jsonschema.validators.validator_for(self.input_schema)(self.input_schema)
            invalid = argument_error(validator, self.name, arguments)
        except jsonschema.exceptions.SchemaError:
            invalid = ""  # the server's schema is its own business; let the server judge
        if invalid:
            return ToolResult(invalid, is_error=True)
        return await self.remote_call(self.remote_name, arguments)


def content_text(result: mcp_types.CallToolResult) -> str:
    """What the model reads of a tool result: its text blocks; structured content when it has none."""
    import mcp_types  # loaded already by whichever session got the result

    parts: list[str] = []
    for block in result.content:
        if isinstance(block, mcp_types.TextContent):
            parts.append(block.text)
        else:
            parts.append(f"[{block.type} content]")
    if not parts and result.structured_content is not None:
        parts.append(json.dumps(result.structured_content))
    return "\n".join(parts)


def describe(exc: BaseException) -> str:
    """An exception as one line; anyio's exception groups are unwrapped to their innermost errors."""
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(describe(e) for e in exc.exceptions)
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
