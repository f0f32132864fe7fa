"""The built-in ``delegate(role, task)`` tool of dynamic teams (reference §3.6, decision §18 #12).

The tool only checks the rules; submitting the sub-task and waiting for its answer is the
host's job (an in-process queue for ``ark run``, Redis Streams in a pod), handed in as a
:data:`DelegateFn`. A refused or failed delegation is a tool error the model can react to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from ark_runtime.protocol import Task, delegation_path
from ark_runtime.tools.base import ToolResult, current_task

DelegateFn = Callable[[str, str, Task], Awaitable[str]]
"""``async (role, prompt, parent_task) -> answer``; raise :class:`DelegationError` (or any
exception) to report a failed sub-task. The child task's ``path`` should be
``child_path(parent_task, role)``."""

DEFAULT_MAX_DEPTH = 5


class DelegationError(Exception):
    """The delegated task failed; the message is shown to the model."""


def child_path(parent: Task, role: str) -> str:
    """The ``path`` field of a task delegated by ``parent`` to ``role``."""
    return "/".join((*delegation_path(parent), role))


class DelegateTool:
    """``delegate(role, task)``: hand a sub-task to another role of the team and wait for its answer."""

    name = "delegate"

    def __init__(self, fn: DelegateFn, roles: Sequence[str], max_depth: int = DEFAULT_MAX_DEPTH) -> None:
        if max_depth < 1:
            raise ValueError(f"max_depth must be at least 1, got {max_depth}")
        self._fn = fn
        self.roles = tuple(roles)
        self.max_depth = max_depth

    @property
    def description(self) -> str:
        """What the model reads."""
        return (
            "Delegate a sub-task to another role of your team and wait for its answer. "
            f"Roles you may delegate to: {', '.join(self.roles)}."
        )

    @property
    def input_schema(self) -> Mapping[str, Any]:
        """``role`` (one of the allowed roles) and ``task`` (the instructions for it)."""
        return {
            "type": "object",
            "properties": {
                "role": {"type": "string", "enum": list(self.roles), "description": "Role to delegate to."},
                "task": {"type": "string", "description": "Complete instructions for that role."},
            },
            "required": ["role", "task"],
        }

    async def call(self, arguments: Mapping[str, Any]) -> ToolResult:
        """Check the delegation rules, then run the host's delegate function."""
        role = arguments.get("role")
        # §3.6 spells the second argument `prompt`; accept it as well as `task`.
        prompt = arguments.get("task", arguments.get("prompt"))
        if not isinstance(role, str) or not isinstance(prompt, str) or not prompt.strip():
            return ToolResult("delegate needs a string 'role' and a non-empty string 'task'", is_error=True)
        parent = current_task.get()
        if parent is None:
            return ToolResult("delegate() can only be called while working on a task", is_error=True)
        refusal = self.refusal(parent, role)
        if refusal:
            return ToolResult(refusal, is_error=True)
        try:
            return ToolResult(await self._fn(role, prompt, parent))
        except Exception as exc:  # the sub-task's failure is information for the model
            return ToolResult(f"delegation to {role!r} failed: {exc}", is_error=True)

    def refusal(self, parent: Task, role: str) -> str:
        """Why ``parent`` may not delegate to ``role`` ('' when it may)."""
        path = delegation_path(parent)
        if role not in self.roles:
            allowed = ", ".join(self.roles) or "none"
            return f"role {role!r} is not one this role may delegate to (canDelegate: {allowed})"
        if role in path:
            return f"delegating to {role!r} would loop back along the path {' -> '.join((*path, role))}"
        if len(path) > self.max_depth:
            return (
                f"delegation depth limit {self.max_depth} reached (path {' -> '.join(path)}); "
                "answer with what you have"
            )
        return ""
