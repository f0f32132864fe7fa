"""Tools offered to the model: built-in ``delegate``, inline HTTP tools, MCP and simple-HTTP servers."""

from ark_runtime.tools.base import Tool, ToolResult, ToolSet, ToolSource, current_task
from ark_runtime.tools.delegate import DelegateFn, DelegateTool, DelegationError, child_path

__all__ = [
    "DelegateFn",
    "DelegateTool",
    "DelegationError",
    "Tool",
    "ToolResult",
    "ToolSet",
    "ToolSource",
    "child_path",
    "current_task",
]
