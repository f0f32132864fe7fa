"""``ark run``'s in-process agents: a provider, tools and the runtime's tool-use loop per agent.

Providers come from ``ark_runtime.providers`` (``--provider`` or by model name, keys from the
environment). Tool servers and inline HTTP tools are connected unless ``--no-mcp``; with the mock
provider they are not (the mock only ever calls ``delegate``). As in an agent pod, the run starts
once every tool server's first connection attempt is over (:meth:`Workers.connect_tools`). Imports
of the runtime happen here, not at module load, so ``ark run --dry-run`` and ``--help`` stay fast.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ark.cli.run_setup import AgentSetup, LocalTeam, SetupError
from ark_runtime.protocol import Result, Task

if TYPE_CHECKING:
    from ark_runtime.limits import Limits
    from ark_runtime.memory.guard import Memory
    from ark_runtime.providers.base import Provider
    from ark_runtime.tools.base import Tool, ToolSource
    from ark_runtime.tools.servers import ServerConnection, ServerStatus

DelegateFn = Callable[[str, str, Task], Awaitable[str]]
Worker = Callable[[Task], Awaitable[Result]]
CONSUMER = "ark-run"


@dataclass
class Workers:
    """The workers of every agent, and what must be closed when the run ends."""

    workers: dict[str, Worker] = field(default_factory=dict)
    providers: dict[str, str] = field(default_factory=dict)
    """Agent key -> provider name, for the plan and the watch view."""
    servers: list[tuple[str, ServerConnection]] = field(default_factory=list)
    """(agent key, connection) of every tool server, in the order of the agents."""
    connect_timeout: float = 10.0
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _background: list[asyncio.Task[None]] = field(default_factory=list)

    def subscribe(self, listener: Callable[[str, ServerStatus], None]) -> None:
        """Call ``listener(agent, status)`` whenever a tool server's connection changes."""
        for agent, connection in self.servers:
            connection.subscribe(functools.partial(listener, agent))

    async def connect_tools(self, interrupted: asyncio.Event) -> None:
        """Wait for every tool server's first connection attempt (at most the connect timeout)."""
        if not self.servers:
            return
        from ark_runtime.tools.startup import connect_first

        connections = [connection for _, connection in self.servers]
        waiting = asyncio.create_task(connect_first(connections, self.connect_timeout))
        stop = asyncio.create_task(interrupted.wait())
        try:
            await asyncio.wait((waiting, stop), return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiting.cancel()
            stop.cancel()
            await asyncio.gather(waiting, stop, return_exceptions=True)

    def tool_servers(self) -> list[tuple[str, ServerStatus]]:
        """(agent key, status) of every tool server now."""
        return [(agent, connection.status()) for agent, connection in self.servers]

    async def aclose(self) -> None:
        """Stop tool-server connections and close providers and HTTP clients."""
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        for close in self._closers:
            try:
                await close()
            except Exception:  # closing must not hide the run's outcome
                continue


def provider_names(team: LocalTeam, explicit: str | None) -> dict[str, str]:
    """Agent key -> provider name (``--provider``, else by model name), for every agent of ``team``."""
    from ark_runtime.config import ConfigError
    from ark_runtime.providers.select import provider_name_for

    names: dict[str, str] = {}
    for setup in _all_agents(team).values():
        try:
            names[setup.key] = provider_name_for(setup.model, explicit)
        except ConfigError as exc:
            raise SetupError([str(exc)]) from None
    return names


def _all_agents(team: LocalTeam) -> dict[str, AgentSetup]:
    agents = dict(team.agents)
    for nested in team.teams.values():
        agents.update(_all_agents(nested))
    return agents


def build_workers(
    team: LocalTeam,
    *,
    explicit: str | None,
    env: Mapping[str, str],
    no_tools: bool,
    delegate: DelegateFn,
    max_depth: int,
    secrets: Mapping[tuple[str, str], Mapping[str, str]],
    warn: Callable[[str], None],
) -> Workers:
    """One worker per agent of ``team`` (and of the teams it contains).

    The caps and timeouts of the runtime (``AGENT_MAX_*``, ``AGENT_*_TIMEOUT_SECONDS``) are read from
    ``env`` as an agent pod reads them.
    """
    from ark_runtime.config import ConfigError, limits_from_env

    try:
        limits = limits_from_env(env)
    except ConfigError as exc:
        raise SetupError([str(exc)]) from None
    out = Workers(connect_timeout=limits.connect_timeout)
    mock: Provider | None = None
    http_client: Any = None
    for setup in _all_agents(team).values():
        name = _provider_name(setup, explicit)
        provider: Provider
        if name == "mock":
            if mock is None:
                from ark_runtime.providers.mock import MockProvider

                mock = MockProvider()
            provider = mock
        else:
            from ark_runtime.providers.select import select_provider

            try:
                provider = select_provider(setup.model, explicit, env, limits)
            except ConfigError as exc:
                raise SetupError([f"{setup.source}: {exc}"]) from None
            out._closers.append(provider.aclose)
        out.providers[setup.key] = name
        builtins: list[Tool] = []
        if setup.can_delegate:
            from ark_runtime.tools.delegate import DelegateTool

            builtins.append(DelegateTool(delegate, setup.can_delegate, max_depth))
        inline: list[Tool] = []
        sources: list[ToolSource] = []
        if name != "mock" and not no_tools:
            if setup.tools and http_client is None:
                from ark_runtime.tools.http_tool import tool_client

                http_client = tool_client(limits)
                out._closers.append(http_client.aclose)
            inline = _inline_tools(setup, http_client, limits)
            sources = _tool_servers(setup, secrets, warn, out, limits)
        memory = None
        if setup.memory is not None:
            from ark.cli.run_memory import open_memory

            memory = open_memory(setup.memory, setup.key, name, env, warn)
            out._closers.append(memory.aclose)
        out.workers[setup.key] = _worker(setup, provider, builtins, inline, sources, limits, memory)
    return out


def _provider_name(setup: AgentSetup, explicit: str | None) -> str:
    from ark_runtime.providers.select import provider_name_for

    return provider_name_for(setup.model, explicit)


def _worker(
    setup: AgentSetup,
    provider: Provider,
    builtins: list[Tool],
    inline: list[Tool],
    sources: list[ToolSource],
    limits: Limits,
    memory: Memory | None = None,
) -> Worker:
    import dataclasses

    from ark_runtime.loop import run_task, task_deadline
    from ark_runtime.memory.prompt import MEMORY_DEFENCE
    from ark_runtime.tools.base import ToolSet

    tools = ToolSet(builtins, inline, sources, limits.max_tool_result_bytes)
    judge_tools = ToolSet()
    remembers = memory is not None and memory.enabled
    system_prompt = (
        f"{setup.system_prompt.rstrip()}\n\n{MEMORY_DEFENCE}" if remembers else setup.system_prompt
    )

    async def work(task: Task) -> Result:
        asked = task
        if memory is not None and remembers:
            asked = dataclasses.replace(task, prompt=await memory.prompt(task))
        # A judge answers about an output; it gets no tools (no delegating, no side effects).
        result = await run_task(
            asked,
            provider=provider,
            tools=judge_tools if task.kind == "judge" else tools,
            system_prompt=system_prompt,
            max_tokens=setup.limits.max_tokens_per_call,
            deadline=task_deadline(task, setup.limits.timeout_seconds),
            consumer=CONSUMER,
            temperature=setup.temperature,
            limits=limits,
        )
        if memory is not None and remembers:
            # No queue to commit to: written once the result exists, before the next step can ask.
            await memory.remember(task, result)
        return result

    return work


def _inline_tools(setup: AgentSetup, client: Any, limits: Limits) -> list[Tool]:
    from ark_runtime.config import ConfigError, HttpToolConfig
    from ark_runtime.tools.http_tool import HttpTool

    tools: list[Tool] = []
    for spec in setup.tools:
        schema = json.loads(spec.input_schema) if spec.input_schema else {"type": "object"}
        config = HttpToolConfig(
            name=spec.name,
            url=spec.url,
            description=spec.description or "",
            method=spec.method,
            input_schema=schema,
        )
        try:
            tools.append(HttpTool(config, client, limits))
        except ConfigError as exc:
            raise SetupError([f"{setup.source}: tool {spec.name}: {exc}"]) from None
    return tools


def _tool_servers(
    setup: AgentSetup,
    secrets: Mapping[tuple[str, str], Mapping[str, str]],
    warn: Callable[[str], None],
    out: Workers,
    limits: Limits,
) -> list[ToolSource]:
    if not setup.mcp_servers:
        return []
    from ark_runtime.config import McpServerConfig
    from ark_runtime.tools.servers import ServerConnection

    sources: list[ToolSource] = []
    for server in setup.mcp_servers:
        headers: dict[str, str] = {}
        for header in server.headers or ():
            if header.value is not None:
                headers[header.name] = header.value
                continue
            ref = header.value_from
            selector = (ref.secret_key_ref or ref.config_map_key_ref) if ref is not None else None
            kind = "Secret" if ref is not None and ref.secret_key_ref is not None else "ConfigMap"
            value = secrets.get((kind, selector.name), {}).get(selector.key) if selector is not None else None
            if value is None:
                where = f"{kind} {selector.name} key {selector.key}" if selector is not None else "its source"
                warn(
                    f"{setup.source}: MCP server {server.name}: header {header.name} reads {where}, "
                    "which is not among the given files; sent without it"
                )
                continue
            headers[header.name] = value
        config = McpServerConfig(
            name=server.name, url=server.url, transport=server.transport, guidance=server.guidance or ""
        )
        connection = ServerConnection(config, headers, limits=limits)
        out._background.append(asyncio.create_task(connection.run(), name=f"tool-server-{server.name}"))
        out.servers.append((setup.key, connection))
        sources.append(connection)
    return sources
