"""Assembles and runs the operator: client, manager with leader election, the controllers of
ArkAgents, ArkTeams, ArkRuns (with the results inbox), ArkRegistries, ArkEvents, ArkMemories,
ArkNotifies and ArkServices (with the task server), and the trigger webhook server (every replica).

Exit codes: 0 after a graceful stop (SIGTERM/SIGINT), 1 when leadership was lost or the caches
never synced (the pod restarts, as with controller-runtime), 2 for an invalid configuration.
"""

from __future__ import annotations

import logging
import os
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis
from prometheus_client import disable_created_metrics

from ark.controllers.agent.controller import AgentControllerOptions, setup_agent_controller
from ark.controllers.agent.deployment import AgentDefaults
from ark.controllers.agent.otlp_env import otlp_env
from ark.controllers.budget import BudgetReader
from ark.controllers.event.controller import EventOptions, setup_event_controller
from ark.controllers.memory.controller import MemoryOptions, setup_memory_controller
from ark.controllers.notify.controller import NotifyOptions, setup_notify_controller
from ark.controllers.queues.sampler import setup_queue_metrics
from ark.controllers.registry.controller import RegistryOptions, setup_registry_controller
from ark.controllers.run.controller import RunOptions, setup_run_controller
from ark.controllers.run.dispatch import QueueWriter
from ark.controllers.service.setup import setup_services
from ark.controllers.team.controller import TeamOptions, setup_team_controller
from ark.kube.client import KubeClient
from ark.kube.manager import CacheSyncTimeout, LeadershipLost, Manager
from ark.operator.config import OperatorConfig
from ark.webhook.server import WebhookOptions, WebhookServer, setup_webhook_server
from ark_runtime.config import ConfigError as QueueUrlError
from ark_runtime.config import redis_url
from ark_runtime.queue.connection import connect
from ark_runtime.telemetry import configure_tracing

log = logging.getLogger("ark.operator")


def redacted(url: str) -> str:
    """``url`` without its password, for logs."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


def add_controllers(manager: Manager, config: OperatorConfig, redis: aioredis.Redis, queue_url: str) -> None:
    """Add every controller (and the results inbox) to ``manager``."""
    defaults = AgentDefaults(
        image=config.agent_image,
        task_queue_url=config.task_queue_url,
        image_pull_policy=config.agent_image_pull_policy,
        api_keys_secret=config.agent_api_keys_secret,
        # --agent-env comes last so that it wins over a passed-on OTEL_* setting of the same name.
        extra_env=otlp_env(os.environ) + config.agent_extra_env,
    )
    budget = BudgetReader(redis)
    setup_agent_controller(
        manager, AgentControllerOptions(defaults, config.namespaces, config.workers), budget=budget
    )
    teams, _ = setup_team_controller(manager, TeamOptions(config.namespaces, config.workers), budget=budget)
    setup_run_controller(
        manager,
        RunOptions(config.namespaces, config.workers, config.step_grace_seconds, config.max_result_bytes),
        inbox_url=queue_url,
        writer=QueueWriter(redis),
        on_usage=teams.enqueue,
    )
    setup_registry_controller(manager, RegistryOptions(config.namespaces))
    setup_event_controller(
        manager, EventOptions(config.namespaces, config.workers, config.trigger_webhook_url)
    )
    setup_memory_controller(manager, MemoryOptions(config.namespaces), redis=redis)
    setup_notify_controller(manager, NotifyOptions(config.namespaces, config.workers))
    setup_services(manager, config)
    setup_queue_metrics(manager, config.namespaces, redis)


def add_webhook_server(manager: Manager, config: OperatorConfig, *, tracing: bool = False) -> WebhookServer:
    """Bind the trigger webhook server and add it to ``manager`` (it serves on every replica)."""
    options = WebhookOptions(
        host=config.trigger_webhook_host,
        port=config.trigger_webhook_port,
        namespaces=config.namespaces,
        rate=config.trigger_webhook_rate,
        burst=config.trigger_webhook_burst,
        read_timeout=config.trigger_webhook_read_timeout,
        tracing=tracing,
    )
    return setup_webhook_server(manager, options)


async def run(config: OperatorConfig) -> int:
    """Run the operator until a signal, lost leadership or a fatal error; returns the exit code."""
    try:
        queue_url = redis_url(config.task_queue_url, variable="--task-queue-url")
    except QueueUrlError as exc:
        log.error("invalid configuration", extra={"error": str(exc)})
        return 2
    # No `<counter>_created` series: a second series per counter and histogram that no panel reads.
    disable_created_metrics()  # type: ignore[no-untyped-call]
    client = await KubeClient.auto(config.kubeconfig)
    # Connects lazily; the results inbox keeps its own connection for its blocking read.
    redis = connect(queue_url)
    manager = Manager(
        client,
        name="ark-operator",
        leader_election=config.leader_elect,
        lease_name=config.leader_election_id,
        lease_namespace=config.leader_election_namespace,
        health_host=config.metrics_host,
        health_port=config.metrics_port,
        graceful_timeout=25.0,
    )
    add_controllers(manager, config, redis, queue_url)
    tracing = configure_tracing(os.environ.get("OTEL_SERVICE_NAME") or "ark-operator", os.environ)
    try:
        add_webhook_server(manager, config, tracing=tracing)
    except OSError as exc:
        log.error("cannot serve the trigger webhook", extra={"error": str(exc)})
        await redis.aclose()
        await client.close()
        return 2
    log.info(
        "starting",
        extra={
            "api_server": client.host,
            "namespaces": list(config.namespaces) or "all",
            "task_queue": redacted(queue_url),
            "agent_image": config.agent_image,
            # Names only: values may be keys.
            "agent_env": [name for name, _ in config.agent_extra_env],
            "leader_election": f"{config.leader_election_namespace}/{config.leader_election_id}"
            if config.leader_elect
            else "off",
            "identity": manager.identity,
            "tracing": tracing,
            "trigger_webhook": f"{config.trigger_webhook_host}:{config.trigger_webhook_port}",
        },
    )
    try:
        await manager.run(handle_signals=True)
    except LeadershipLost as exc:
        log.error("leadership lost; exiting", extra={"error": str(exc)})
        return 1
    except CacheSyncTimeout as exc:
        log.error("caches did not sync; exiting", extra={"error": str(exc)})
        return 1
    finally:
        await redis.aclose()
        await client.close()
    log.info("stopped")
    return 0
