"""An agent pod assembled from its configuration: provider, tools, consumer, health endpoints.

The order is the contract: read the configuration, connect the tool servers, then take tasks.
With memory (``AGENT_MEMORY_BACKEND``), each task's prompt starts with what is recalled for it,
and the task is remembered once its result is committed (:mod:`ark_runtime.memory`).
``/readyz`` answers 503 while the tool servers' first connection attempts are running (at most the
connect timeout), so no traffic is sent to a pod that would work without its tools.
The health port also serves ``/metrics`` (:mod:`ark_runtime.metrics`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import time
from collections.abc import Mapping

from ark_runtime.config import AgentConfig
from ark_runtime.health import HealthServer, Readiness
from ark_runtime.loop import run_task, task_deadline
from ark_runtime.memory.expiry import cleanup_interval
from ark_runtime.memory.hook import MemoryHook
from ark_runtime.memory.prompt import MEMORY_DEFENCE
from ark_runtime.memory.select import agent_memory
from ark_runtime.memory.writer import Writer
from ark_runtime.metrics import MeteredProvider, RuntimeMetrics
from ark_runtime.protocol import Result, Task
from ark_runtime.providers.base import Provider
from ark_runtime.queue.connection import connect
from ark_runtime.queue.consumer import Consumer, ConsumerSettings, close_quietly
from ark_runtime.queue.delegation import RedisDelegator
from ark_runtime.tools.base import Tool, ToolSet
from ark_runtime.tools.delegate import DelegateTool
from ark_runtime.tools.http_tool import HttpTool, tool_client
from ark_runtime.tools.servers import ServerConnection
from ark_runtime.tools.startup import connect_first

log = logging.getLogger("ark_runtime.agent")


class Agent:
    """Everything one agent process runs; :meth:`run` until :meth:`stop`."""

    def __init__(
        self,
        config: AgentConfig,
        provider: Provider,
        server_headers: Mapping[str, Mapping[str, str]],
        env: Mapping[str, str] | None = None,
    ) -> None:
        """``env`` is read for what memory needs beyond the configuration (the embeddings endpoint's
        ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY``)."""
        self.config = config
        self.metrics = RuntimeMetrics(lambda: self.consumer.in_flight)
        self.provider: Provider = MeteredProvider(provider, self.metrics)
        limits = config.limits
        self._http = tool_client(limits)
        self.servers = [
            ServerConnection(s, server_headers.get(s.name, {}), limits=limits) for s in config.mcp_servers
        ]
        self._redis = connect(config.queue_url) if config.team_routes else None
        builtins: list[Tool] = []
        if self._redis is not None:
            delegator = RedisDelegator(
                self._redis,
                config.namespace,
                config.team_routes,
                config.timeout_seconds,
                limits.max_result_bytes,
            )
            builtins.append(DelegateTool(delegator, list(config.team_routes), config.max_delegation_depth))
        inline = [HttpTool(t, self._http, limits) for t in config.webhook_tools]
        self.tools = ToolSet(
            builtins, inline, self.servers, limits.max_tool_result_bytes, on_call=self.metrics.tool_called
        )
        self.memory, stager = agent_memory(config, provider.name, env or {})
        self._writer = Writer(self.memory)
        self._system_prompt = (
            f"{config.system_prompt.rstrip()}\n\n{MEMORY_DEFENCE}"
            if self.memory.enabled
            else config.system_prompt
        )
        self.consumer = Consumer(
            config.queue_url,
            ConsumerSettings(
                namespace=config.namespace,
                agent=config.name,
                consumer=config.pod_name,
                max_concurrent=config.max_concurrent_tasks,
                task_timeout=config.timeout_seconds,
                reclaim_grace=config.reclaim_grace_seconds,
                reclaim_interval=config.reclaim_interval_seconds,
                max_retries=config.max_retries,
                daily_token_limit=config.daily_token_limit,
            ),
            self.handle,
            MemoryHook(self.memory, self._writer, stager) if self.memory.enabled else None,
            observer=self.metrics,
        )
        self.readiness = Readiness(
            self.probe if config.validator_prompt else None, config.probe_interval_seconds
        )
        self.health = HealthServer(self.readiness, config.health_port, metrics=self.metrics)
        self._probe_ids = itertools.count(1)
        self._stopping = asyncio.Event()

    async def handle(self, task: Task) -> Result:
        """Run one task from the queue, with what memory recalls for it."""
        deadline = task_deadline(task, self.config.timeout_seconds)
        if self.memory.enabled:
            task = dataclasses.replace(task, prompt=await self.memory.prompt(task))
        return await run_task(
            task,
            provider=self.provider,
            tools=self.tools,
            system_prompt=self._system_prompt,
            max_tokens=self.config.max_tokens,
            deadline=deadline,
            consumer=self.config.pod_name,
            max_turns=self.config.max_turns,
            temperature=self.config.temperature,
            limits=self.config.limits,
        )

    async def probe(self, timeout: float) -> Result:
        """The semantic readiness check: the validator prompt as a probe task, without tools."""
        task = Task(
            id=f"probe.{self.config.pod_name}.{next(self._probe_ids)}",
            run="probe",
            step="readyz",
            kind="probe",
            prompt=self.config.validator_prompt,
        )
        return await run_task(
            task,
            provider=self.provider,
            tools=ToolSet(),
            system_prompt=self.config.system_prompt,
            max_tokens=self.config.max_tokens,
            deadline=time.monotonic() + timeout,
            consumer=self.config.pod_name,
            temperature=self.config.temperature,
            limits=self.config.limits,
        )

    def stop(self) -> None:
        """Stop taking tasks (SIGTERM); :meth:`run` drains and returns."""
        log.info("stopping: no new tasks; finishing the ones in flight")
        self.readiness.draining = True
        self._stopping.set()
        self.consumer.stop()

    async def run(self) -> None:
        """Serve health, connect tool servers, then consume tasks; drain on :meth:`stop`."""
        if self.servers:
            self.readiness.waiting = "connecting to tool servers: " + ", ".join(s.name for s in self.servers)
        port = await self.health.start()
        connectors = [asyncio.create_task(s.run(), name=f"tool-server-{s.name}") for s in self.servers]
        if self.memory.enabled:
            connectors.append(asyncio.create_task(self._maintain_memory(), name="memory-upkeep"))
        log.info(
            "agent started",
            extra={
                "agent": self.config.name,
                "namespace": self.config.namespace,
                "pod": self.config.pod_name,
                "model": self.config.model,
                "provider": self.provider.name,
                "stream": self.consumer.stream,
                "health_port": port,
                "inline_tools": [t.name for t in self.tools.inline],
                "tool_servers": [s.name for s in self.servers],
                "delegates_to": list(self.config.team_routes),
                "memory": self.memory.description,
            },
        )
        try:
            await self._connect_tools()
            await self.consumer.run(grace=self.config.shutdown_grace_seconds)
        finally:
            for task in connectors:
                task.cancel()
            await asyncio.gather(*connectors, return_exceptions=True)
            await self.health.stop()
            await self._writer.aclose(self.config.memory.timeout_seconds)
            await self.memory.aclose()
            await self.provider.aclose()
            await self._http.aclose()
            if self._redis is not None:
                await close_quietly(self._redis)
        log.info("agent stopped", extra={"tasks_completed": self.consumer.completed})

    async def _maintain_memory(self) -> None:
        interval = cleanup_interval(self.config.memory.vector_store_ttl or self.config.memory.redis_ttl)
        while True:
            await asyncio.sleep(interval)
            await self.memory.maintain()

    async def _connect_tools(self) -> None:
        # SIGTERM while connecting cuts the wait short; the consumer then stops at once.
        waiting = asyncio.create_task(connect_first(self.servers, self.config.limits.connect_timeout))
        stopping = asyncio.create_task(self._stopping.wait())
        try:
            await asyncio.wait((waiting, stopping), return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiting.cancel()
            stopping.cancel()
            await asyncio.gather(waiting, stopping, return_exceptions=True)
        self.readiness.waiting = ""
