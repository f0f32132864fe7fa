"""Prompts, settings and memory the agent references: errors named, recovery driven by watches."""

from __future__ import annotations

import base64
import time

import pytest

from ark.controllers.agent.deployment import PROMPT_HASH_ANNOTATION
from ark.controllers.resources import ARK_MEMORIES, ARK_SETTINGS
from ark.kube.client import KubeClient
from ark.kube.resources import CONFIGMAPS, EVENTS, SECRETS
from tests.conftest import Kubectl
from tests.integration.controllers.conftest import Operator
from tests.integration.controllers.support import (
    agent,
    condition,
    configmap,
    create_all,
    env_of,
    get_agent,
    get_deployment,
    ready_agent,
    secret,
)
from tests.support.wait import wait_for

pytestmark = pytest.mark.cluster


async def test_missing_prompt_configmap_is_named_and_recovers_when_it_appears(
    operator: Operator, kube: KubeClient, namespace: str
) -> None:
    ref = {"configMapKeyRef": {"name": "late-prompts", "key": "main"}}
    await create_all(kube, agent("late", namespace, model="mock", replicas=1, systemPromptRef=ref))

    async def failing() -> dict[str, object] | None:
        obj = await get_agent(kube, namespace, "late")
        return obj if condition(obj, "Ready").get("reason") == "PromptResolutionError" else None

    obj = await wait_for(failing, timeout=30, message="PromptResolutionError")
    ready = condition(obj, "Ready")
    assert ready["status"] == "False"
    assert ready["message"] == "systemPromptRef: ConfigMap 'late-prompts' not found"
    assert await get_deployment(kube, namespace, "late") is None

    async def warned() -> bool:
        page = await kube.list(EVENTS, namespace, field_selector="involvedObject.name=late")
        return any(e["reason"] == "PromptResolutionError" and e["type"] == "Warning" for e in page["items"])

    await wait_for(warned, timeout=30, message="a PromptResolutionError Warning event")

    # The ConfigMap exists but lacks the key: the message names the key.
    await kube.create(CONFIGMAPS, configmap("late-prompts", namespace, {"other": "x"}))

    async def key_missing() -> bool:
        obj = await get_agent(kube, namespace, "late")
        return (
            condition(obj, "Ready").get("message")
            == "systemPromptRef: ConfigMap 'late-prompts' has no key 'main'"
        )

    await wait_for(key_missing, timeout=30, message="the missing key named")

    # Adding the key is enough: the ConfigMap watch enqueues the agent, no polling involved.
    started = time.monotonic()
    await kube.patch(CONFIGMAPS, "late-prompts", {"data": {"main": "You are late but here."}}, namespace)
    await wait_for(lambda: ready_agent(kube, namespace, "late", 1), timeout=30, message="recovered")
    assert time.monotonic() - started < 15
    deployment = await get_deployment(kube, namespace, "late")
    assert deployment is not None
    assert env_of(deployment)["AGENT_SYSTEM_PROMPT"]["valueFrom"] == {
        "configMapKeyRef": {"name": "late-prompts", "key": "main"}
    }


async def test_a_running_agent_whose_prompt_disappears_keeps_its_pods_and_still_scales(
    operator: Operator, kube: KubeClient, kubectl: Kubectl, namespace: str
) -> None:
    ref = {"configMapKeyRef": {"name": "fleeting", "key": "p"}}
    await create_all(
        kube,
        configmap("fleeting", namespace, {"p": "Here today."}),
        agent("keeper", namespace, model="mock", replicas=2, systemPromptRef=ref),
    )
    await wait_for(lambda: ready_agent(kube, namespace, "keeper", 2), timeout=60, message="ready")
    deployment = await get_deployment(kube, namespace, "keeper")
    assert deployment is not None
    running_hash = deployment["spec"]["template"]["metadata"]["annotations"][PROMPT_HASH_ANNOTATION]

    await kube.delete(CONFIGMAPS, "fleeting", namespace)

    async def broken() -> bool:
        obj = await get_agent(kube, namespace, "keeper")
        return condition(obj, "Ready").get("message") == "systemPromptRef: ConfigMap 'fleeting' not found"

    await wait_for(broken, timeout=30, message="PromptResolutionError naming the ConfigMap")
    # The user can still scale the broken agent down; the pods keep the prompt they had.
    kubectl("scale", "arkagent/keeper", "-n", namespace, "--replicas=0")

    async def scaled_down() -> bool:
        deployment = await get_deployment(kube, namespace, "keeper")
        return deployment is not None and deployment["spec"]["replicas"] == 0

    await wait_for(scaled_down, timeout=30, message="scaled to 0 despite the missing prompt")
    deployment = await get_deployment(kube, namespace, "keeper")
    assert deployment is not None
    assert deployment["spec"]["template"]["metadata"]["annotations"][PROMPT_HASH_ANNOTATION] == running_hash
    obj = await get_agent(kube, namespace, "keeper")
    assert condition(obj, "Ready")["reason"] == "PromptResolutionError"


async def test_secret_prompt_reaches_pods_by_reference_and_rolls_them_when_edited(
    operator: Operator, kube: KubeClient, namespace: str
) -> None:
    ref = {"secretKeyRef": {"name": "prompt-secret", "key": "prompt"}}
    await create_all(
        kube,
        secret("prompt-secret", namespace, {"prompt": "top secret instructions"}),
        agent("private", namespace, model="mock", replicas=1, systemPromptRef=ref),
    )
    await wait_for(lambda: ready_agent(kube, namespace, "private", 1), timeout=60, message="ready")
    deployment = await get_deployment(kube, namespace, "private")
    assert deployment is not None
    assert env_of(deployment)["AGENT_SYSTEM_PROMPT"]["valueFrom"] == {"secretKeyRef": ref["secretKeyRef"]}
    assert "top secret" not in str(deployment)
    first_hash = deployment["spec"]["template"]["metadata"]["annotations"][PROMPT_HASH_ANNOTATION]

    encoded = base64.b64encode(b"new secret instructions").decode()
    await kube.patch(SECRETS, "prompt-secret", {"data": {"prompt": encoded}}, namespace)

    async def rehashed() -> bool:
        deployment = await get_deployment(kube, namespace, "private")
        assert deployment is not None
        return deployment["spec"]["template"]["metadata"]["annotations"][PROMPT_HASH_ANNOTATION] != first_hash

    await wait_for(rehashed, timeout=30, message="a new prompt hash after the Secret changed")


async def test_settings_and_memory_are_merged_when_they_appear(
    operator: Operator, kube: KubeClient, namespace: str
) -> None:
    ref = {"configMapKeyRef": {"name": "base", "key": "prompt"}}
    await create_all(
        kube,
        configmap("base", namespace, {"prompt": "Answer questions."}),
        agent(
            "merged",
            namespace,
            model="mock",
            replicas=1,
            systemPromptRef=ref,
            configRef={"name": "house-style"},
            memoryRef={"name": "notes"},
        ),
    )
    # Neither the ArkSettings nor the ArkMemory exist yet: that is not an error.
    obj = await wait_for(lambda: ready_agent(kube, namespace, "merged", 1), timeout=60, message="ready")
    assert condition(obj, "Ready")["reason"] == "AllReplicasReady"
    deployment = await get_deployment(kube, namespace, "merged")
    assert deployment is not None
    assert "AGENT_TEMPERATURE" not in env_of(deployment)

    await kube.create(
        ARK_SETTINGS,
        {
            "apiVersion": "arkonis.dev/v1alpha1",
            "kind": "ArkSettings",
            "metadata": {"name": "house-style", "namespace": namespace},
            "spec": {
                "temperature": "0.2",
                "outputFormat": "markdown",
                "promptFragments": {"persona": "You are Ada, costing $5/h.", "outputRules": "Be brief."},
            },
        },
    )
    await kube.create(
        ARK_MEMORIES,
        {
            "apiVersion": "arkonis.dev/v1alpha1",
            "kind": "ArkMemory",
            "metadata": {"name": "notes", "namespace": namespace},
            "spec": {"backend": "redis", "redis": {"secretRef": {"name": "notes-redis"}, "maxEntries": 50}},
        },
    )

    async def merged() -> dict[str, dict[str, object]] | None:
        deployment = await get_deployment(kube, namespace, "merged")
        env = env_of(deployment) if deployment else {}
        # ArkSettings alone already sets AGENT_MEMORY_BACKEND (its default, in-context);
        # the ArkMemory, which wins, is merged once its own watch event arrives.
        memory = env.get("AGENT_MEMORY_BACKEND", {}).get("value")
        return env if "AGENT_TEMPERATURE" in env and memory == "redis" else None

    env = await wait_for(merged, timeout=30, message="settings and memory in the env")
    assert env["AGENT_TEMPERATURE"]["value"] == "0.2"
    assert env["AGENT_OUTPUT_FORMAT"]["value"] == "markdown"
    assert env["ARK_SYSTEM_PROMPT_SOURCE"]["valueFrom"] == {"configMapKeyRef": ref["configMapKeyRef"]}
    assert env["AGENT_SYSTEM_PROMPT"]["value"] == (
        "You are Ada, costing $$5/h.\n\n$(ARK_SYSTEM_PROMPT_SOURCE)\n\nBe brief."
    )
    assert env["AGENT_MEMORY_BACKEND"]["value"] == "redis"
    assert env["AGENT_MEMORY_REDIS_URL"]["valueFrom"] == {
        "secretKeyRef": {"name": "notes-redis", "key": "REDIS_URL"}
    }
    assert env["AGENT_MEMORY_REDIS_TTL"]["value"] == "3600"
    assert env["AGENT_MEMORY_REDIS_MAX_ENTRIES"]["value"] == "50"
    names = list(env)
    assert names.index("ARK_SYSTEM_PROMPT_SOURCE") < names.index("AGENT_SYSTEM_PROMPT")
