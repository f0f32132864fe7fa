"""A child process that runs one task whose model calls one tool, and reports its own peak RSS.

``python -m tests.integration.runtime.tool_probe KIND TOOL_URL MODEL_BASE`` with KIND ``inline``
(an inline HTTP tool), ``http`` (the simple HTTP tool protocol), ``streamable-http`` or ``sse``
(an MCP server). The model (the parent's loopback server) decides which tool to call; the task
runs with the runtime's real provider, tools and loop, tool calls bounded by
:data:`TOOL_TIMEOUT` seconds. Prints one JSON line: the result's status, error and output, the
seconds taken and ``peak_rss_mb`` (``VmHWM`` from ``/proc/self/status``).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from ark_runtime.config import HttpToolConfig, McpServerConfig, Transport
from ark_runtime.limits import Limits
from ark_runtime.loop import run_task
from ark_runtime.protocol import Task
from ark_runtime.providers import OpenAIProvider
from ark_runtime.tools import ToolSet
from ark_runtime.tools.base import Tool, ToolSource
from ark_runtime.tools.http_tool import HttpTool, tool_client
from ark_runtime.tools.servers import ServerConnection

TOOL_TIMEOUT = 3.0
TASK_SECONDS = 20.0
LIMITS = Limits(tool_timeout=TOOL_TIMEOUT, connect_timeout=5.0)


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


async def probe(kind: str, tool_url: str, model_base: str) -> dict[str, Any]:
    inline: list[Tool] = []
    sources: list[ToolSource] = []
    background: asyncio.Task[None] | None = None
    client = tool_client(LIMITS)
    if kind == "inline":
        inline.append(HttpTool(HttpToolConfig(name="fetch", url=tool_url), client, LIMITS))
    else:
        transport: Transport = kind  # type: ignore[assignment]
        connection = ServerConnection(McpServerConfig("hostile", tool_url, transport), {}, limits=LIMITS)
        background = asyncio.create_task(connection.run())
        await asyncio.wait_for(connection.connected.wait(), timeout=15)
        sources.append(connection)
    provider = OpenAIProvider("gpt-test", "k", model_base, LIMITS)
    started = time.monotonic()
    try:
        result = await run_task(
            Task(id="probe.step.1", run="probe", step="step", prompt="Use the tool."),
            provider=provider,
            tools=ToolSet(inline=inline, sources=sources, max_result_bytes=LIMITS.max_tool_result_bytes),
            system_prompt="You use tools.",
            max_tokens=100,
            deadline=time.monotonic() + TASK_SECONDS,
            consumer="probe",
            limits=LIMITS,
        )
    finally:
        if background is not None:
            background.cancel()
            await asyncio.gather(background, return_exceptions=True)
        await provider.aclose()
        await client.aclose()
    return {
        "status": result.status,
        "error": result.error,
        "output": result.output,
        "seconds": time.monotonic() - started,
        "peak_rss_mb": peak_rss_mb(),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(probe(*sys.argv[1:4]))))
