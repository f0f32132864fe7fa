"""The whole path: ``ark-operator`` under its own RBAC turns an ArkAgent into pods, and agent
processes started with exactly the environment in the pod template answer a task through Redis."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from localcluster import ControlPlane, free_port

from ark.controllers.agent.deployment import deployment_name
from ark.controllers.resources import ARK, ARK_AGENTS, ARK_MEMORIES, ARK_SETTINGS, ARK_TEAMS
from ark.kube.client import ApiError, KubeClient, NotFound
from ark.kube.resources import CONFIGMAPS, DEPLOYMENTS, PODS, SECRETS
from ark.operator.config import DEFAULT_AGENT_IMAGE
from ark_runtime.protocol import Task, results_stream, tasks_stream
from ark_runtime.queue.connection import connect
from ark_runtime.queue.submit import ResultsReader, Submitter
from tests.e2e.operator.support import (
    Account,
    OperatorProcess,
    agent_processes,
    pod_env,
    token_kubeconfig,
)
from tests.integration.controllers.support import (
    agent,
    condition,
    configmap,
    create_all,
    get_deployment,
    ready_agent,
    secret,
)
from tests.support.wait import wait_for, wait_for_sync

pytestmark = [pytest.mark.cluster, pytest.mark.redis]

StartOperator = Callable[..., OperatorProcess]


async def test_operator_runs_an_agent_that_answers_through_redis(
    start_operator: StartOperator, kube: KubeClient, namespace: str, redis_url: str
) -> None:
    operator = start_operator()
    wait_for_sync(operator.ready, timeout=60, message="operator /readyz")
    await wait_for(operator.leading, timeout=60, message="operator holds the lease")

    await create_all(
        kube,
        # The provider comes from a Secret through envFrom, as the recipes do it.
        secret("llm", namespace, {"AGENT_PROVIDER": "mock"}),
        configmap("prompts", namespace, {"helper": "Help with $HOME-made recipes."}),
    )
    await kube.create(
        ARK_SETTINGS,
        {
            "apiVersion": "arkonis.dev/v1alpha1",
            "kind": "ArkSettings",
            "metadata": {"name": "style", "namespace": namespace},
            "spec": {"temperature": "0.5", "promptFragments": {"persona": "You are Ark."}},
        },
    )
    await kube.create(
        ARK_AGENTS,
        agent(
            "helper",
            namespace,
            model="claude-sonnet-4-6",
            replicas=2,
            systemPromptRef={"configMapKeyRef": {"name": "prompts", "key": "helper"}},
            configRef={"name": "style"},
            envFrom=[{"secretRef": {"name": "llm"}}],
            limits={"maxConcurrentTasks": 2, "timeoutSeconds": 30},
            livenessProbe={"type": "ping"},
        ),
    )
    await wait_for(
        lambda: ready_agent(kube, namespace, "helper", 2), timeout=90, message="2 ready agent pods"
    )

    # What the kubelet would do with the pods the Deployment made.
    pods = (await kube.list(PODS, namespace, label_selector="arkonis.dev/deployment=helper"))["items"]
    assert len(pods) == 2
    configmaps = {c["metadata"]["name"]: c for c in (await kube.list(CONFIGMAPS, namespace))["items"]}
    secrets = {s["metadata"]["name"]: s for s in (await kube.list(SECRETS, namespace))["items"]}
    envs = [pod_env(pod, configmaps, secrets) for pod in pods]
    for pod, env in zip(pods, envs, strict=True):
        assert env["POD_NAME"] == pod["metadata"]["name"]
        assert env["AGENT_SYSTEM_PROMPT"] == "You are Ark.\n\nHelp with $HOME-made recipes."
        assert env["AGENT_PROVIDER"] == "mock"
        assert env["AGENT_MODEL"] == "claude-sonnet-4-6"
        assert env["AGENT_NAMESPACE"] == namespace
        assert env["AGENT_NAME"] == "helper"
        assert env["AGENT_TEMPERATURE"] == "0.5"
        assert env["AGENT_MAX_CONCURRENT_TASKS"] == "2"
        assert env["TASK_QUEUE_URL"] == redis_url
        # Two processes on one host cannot both listen on the pod port 8080.
        env["AGENT_HEALTH_PORT"] = str(free_port())

    with agent_processes(*envs) as agents:
        for proc in agents:
            wait_for_sync(proc.ready, timeout=60, message="agent /readyz")
        redis = connect(redis_url)
        try:
            submitter = Submitter(redis)
            reader = ResultsReader(redis, results_stream(namespace), consumer="e2e")
            task = Task(
                id=f"e2e-{time.time_ns()}", run="e2e-run", step="greet", prompt="Say hello to the cluster."
            )
            assert await submitter.submit(tasks_stream(namespace, "helper"), task)

            async def answered() -> Any:
                for entry_id, result in await reader.read(block_ms=200):
                    await reader.ack(entry_id)
                    if result.id == task.id:
                        return result
                return None

            result = await wait_for(answered, timeout=60, message="the task's result")
        finally:
            await redis.aclose()
    assert result.status == "ok"
    assert result.output == '[mock response for step "greet": Say hello to the cluster.]'
    assert result.consumer in {pod["metadata"]["name"] for pod in pods}

    # A graceful stop, and structured logs all the way.
    assert operator.terminate() == 0
    records = [json.loads(line) for line in operator.log_text().splitlines()]
    starting = next(r for r in records if r["msg"] == "starting")
    assert starting["namespaces"] == [namespace]
    assert starting["agent_image"] == DEFAULT_AGENT_IMAGE
    assert starting["leader_election"] == f"{namespace}/ark-operator"
    assert records[-1]["msg"] == "stopped"
    assert all({"ts", "level", "logger", "msg"} <= set(r) for r in records)


async def test_the_operator_has_exactly_the_access_its_rbac_grants(
    start_operator: StartOperator,
    kube: KubeClient,
    account: Account,
    control_plane: ControlPlane,
    namespace: str,
    redis_url: str,
    tmp_path: Path,
) -> None:
    await create_all(
        kube,
        agent(
            "guarded", namespace, model="mock", replicas=1, systemPrompt="Guard.", memoryRef={"name": "notes"}
        ),
        secret("notes-redis", namespace, {"REDIS_URL": redis_url}),
    )
    notes = {"backend": "redis", "redis": {"secretRef": {"name": "notes-redis"}}}
    await kube.create(
        ARK_MEMORIES,
        {
            "apiVersion": "arkonis.dev/v1alpha1",
            "kind": "ArkMemory",
            "metadata": {"name": "notes", "namespace": namespace},
            "spec": notes,
        },
    )
    operator = start_operator()
    await wait_for(
        lambda: ready_agent(kube, namespace, "guarded", 1), timeout=90, message="reconciled under RBAC"
    )

    async def memory_ready() -> bool:
        found = condition(await kube.get(ARK_MEMORIES, "notes", namespace), "Ready")
        return found.get("reason") == "Reachable"

    await wait_for(memory_ready, timeout=60, message="the ArkMemory's status written under RBAC")
    assert operator.proc.poll() is None

    # The same token the operator uses, in a client of our own.
    config = token_kubeconfig(
        control_plane.kubeconfig, account.token, namespace, tmp_path / "probe.kubeconfig"
    )
    async with await KubeClient.from_kubeconfig(config) as client:
        assert (await client.list(ARK_AGENTS, namespace))["items"][0]["metadata"]["name"] == "guarded"
        refused: dict[str, Callable[[], Awaitable[object]]] = {
            "delete deployments": lambda: client.delete(DEPLOYMENTS, deployment_name("guarded"), namespace),
            "get secrets": lambda: client.get(SECRETS, "anything", namespace),
            # It creates webhook token Secrets, but never changes or deletes one.
            "update secrets": lambda: client.replace(SECRETS, secret("anything", namespace, {"k": "v"})),
            "delete secrets": lambda: client.delete(SECRETS, "anything", namespace),
            # Teams are the user's: the operator writes their status only.
            "patch arkteams (spec)": lambda: client.patch(
                ARK_TEAMS, "any", {"spec": {"entry": "x"}}, namespace
            ),
            "delete arkteams": lambda: client.delete(ARK_TEAMS, "any", namespace),
            "patch arkmemories (spec)": lambda: client.patch(
                ARK_MEMORIES, "notes", {"spec": {"backend": "in-context"}}, namespace
            ),
            "delete pods": lambda: client.delete(PODS, "any", namespace),
        }
        for verb, call in refused.items():
            with pytest.raises(ApiError) as error:
                await call()
            assert error.value.status == 403, f"{verb} was not refused: {error.value}"
            assert "forbidden" in error.value.message, verb
    deployment = await get_deployment(kube, namespace, "guarded")
    assert deployment is not None
    assert condition(await kube.get(ARK_AGENTS, "guarded", namespace), "Ready")["status"] == "True"

    # A webhook ArkEvent's token Secret is created under the role (create, no get).
    hook = {
        "apiVersion": "arkonis.dev/v1alpha1",
        "kind": "ArkEvent",
        "metadata": {"name": "hook", "namespace": namespace},
        "spec": {"source": {"type": "webhook"}, "targets": [{"team": "any"}]},
    }
    await kube.create(ARK["ArkEvent"], hook)

    async def token() -> dict[str, Any] | None:
        try:
            return await kube.get(SECRETS, "hook-webhook-token", namespace)
        except NotFound:
            return None

    made = await wait_for(token, timeout=30, message="the webhook token Secret")
    assert made["metadata"]["ownerReferences"][0]["name"] == "hook"
    assert operator.proc.poll() is None
