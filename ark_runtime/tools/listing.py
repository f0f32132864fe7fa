"""Bounding what one tool server may offer: how many tools, and how much JSON they add up to.

Every tool's name, description and schema go into each model call's prompt, so a server with a
million tools (or one 50 MiB schema) would make every call fail or cost a fortune. Tools past
``AGENT_MAX_TOOLS_PER_SERVER`` or ``AGENT_MAX_TOOL_LIST_BYTES`` are left out, listing stops, and the
connection logs which.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import mcp_types

from ark_runtime.limits import describe_bytes

log = logging.getLogger("ark_runtime.tools")


class ToolBudget:
    """Collects a server's tools, page by page, until a cap is reached."""

    def __init__(self, max_count: int, max_bytes: int) -> None:
        self.max_count = max_count
        self.max_bytes = max_bytes
        self.kept: list[mcp_types.Tool] = []
        self.size = 0
        self.full = ""
        """Which cap was reached ('' while there is room): no more tools are kept or listed."""

    def add(self, tools: Iterable[mcp_types.Tool]) -> None:
        """Keep the tools of one page that still fit."""
        for tool in tools:
            if self.full:
                return
            if len(self.kept) >= self.max_count:
                self.full = f"more than {self.max_count} tools (AGENT_MAX_TOOLS_PER_SERVER)"
                return
            size = len(tool.model_dump_json(by_alias=True, exclude_none=True))
            if self.size + size > self.max_bytes:
                self.full = (
                    f"tools adding up to more than {describe_bytes(self.max_bytes)} of names, descriptions "
                    "and schemas (AGENT_MAX_TOOL_LIST_BYTES)"
                )
                return
            self.kept.append(tool)
            self.size += size

    def report(self, server: str) -> None:
        """Warn when a cap left tools out."""
        if self.full:
            log.warning(
                "tool server offers too many tools; the rest are left out",
                extra={"server": server, "kept": len(self.kept), "reason": self.full},
            )
