"""Renders the Deployment of an ArkAgent (reference §2.3, environment contract §12). Pure, no I/O.

The result is the body of a server-side apply: exactly the fields the operator owns. Fields
left out (annotations a user adds, an extra env var set by someone else, server defaults)
belong to others and survive every apply.

Environment, in this order (the kubelet expands ``$(VAR)`` only from variables defined earlier,
so every literal value is escaped with :func:`~ark.controllers.agent.prompt.escape`):

``POD_NAME`` (downward API), ``AGENT_NAMESPACE``, ``AGENT_NAME``, ``AGENT_MODEL``, the prompt
(``AGENT_SYSTEM_PROMPT``, see :mod:`~ark.controllers.agent.prompt`), ``TASK_QUEUE_URL``,
``AGENT_MCP_SERVERS`` (always, ``[]`` without servers; a header read from a Secret or ConfigMap
becomes ``ARK_MCP_<i>_HEADER_<j>``, by server and header position, and the JSON names it with
``valueFromEnv``), ``AGENT_WEBHOOK_TOOLS`` (with tools), ``AGENT_MAX_TOKENS``, ``AGENT_TIMEOUT_SECONDS``,
``AGENT_MAX_CONCURRENT_TASKS``, ``AGENT_MAX_RETRIES``, ``AGENT_DAILY_TOKEN_LIMIT`` (with a
budget), ``AGENT_VALIDATOR_PROMPT`` (semantic probe), ``AGENT_PROBE_INTERVAL_SECONDS`` (with a
probe), ``AGENT_TEMPERATURE`` / ``AGENT_OUTPUT_FORMAT`` (ArkSettings), ``AGENT_MEMORY_BACKEND``
(ArkMemory, else ArkSettings) and the ``AGENT_MEMORY_*`` variables of the backend (secret
values through ``secretKeyRef``), ``AGENT_TEAM_*`` for an agent teams reference
(:func:`~ark.controllers.team.agents.member_env`). Then the operator-wide extra variables (``--agent-env``,
literal values), then ``spec.env``: at each of these two steps an entry named like an earlier
one replaces it in place, others are appended. So ``spec.env`` wins over ``--agent-env``, which
wins over the operator's own variables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ark.api import API_VERSION, ArkAgentSpec, ArkMemorySpec, ArkSettingsSpec, to_wire
from ark.api.shared import Limits, McpServer
from ark.controllers.agent.prompt import PROMPT_VARIABLE, SOURCE_VARIABLE, ResolvedPrompt, escape
from ark.controllers.resources import MANAGED_BY, MANAGED_BY_LABEL

Obj = dict[str, Any]

CONTAINER = "agent"
HEALTH_PORT = 8080
HEALTH_PORT_NAME = "health"
MAX_RETRIES = 3
NON_ROOT_UID = 65532
PROMPT_HASH_ANNOTATION = "arkonis.dev/system-prompt-hash"
MEMORY_HASH_ANNOTATION = "arkonis.dev/memory-hash"
"""Digest of the agent's ArkMemory spec and Secret value: a change rolls the pods (a Secret's new
value reaches a running pod's environment only through a restart)."""
NAME_LABEL = "app.kubernetes.io/name"
INSTANCE_LABEL = "app.kubernetes.io/instance"
DEPLOYMENT_LABEL = "arkonis.dev/deployment"
DEFAULT_RESOURCES: Obj = {
    "requests": {"cpu": "100m", "memory": "256Mi"},
    "limits": {"cpu": "500m", "memory": "512Mi"},
}
"""Agent container resources when the spec sets none (the original chart's ``agentResources``)."""


@dataclass(frozen=True)
class AgentDefaults:
    """Operator-wide settings that shape every agent pod."""

    image: str
    task_queue_url: str
    image_pull_policy: str | None = None
    api_keys_secret: str | None = None
    """A Secret added (optional) to every agent's ``envFrom`` (the chart's ``apiKeys.existingSecret``)."""
    extra_env: tuple[tuple[str, str], ...] = ()
    """Literal ``(name, value)`` variables for every agent (``--agent-env``; chart: ``agentExtraEnv``)."""


@dataclass(frozen=True)
class AgentInputs:
    """Everything one render needs, resolved from the caches."""

    name: str
    namespace: str
    uid: str
    spec: ArkAgentSpec
    prompt: ResolvedPrompt
    replicas: int
    settings: ArkSettingsSpec | None = None
    memory: ArkMemorySpec | None = None
    memory_hash: str = ""
    """:func:`ark.controllers.memory.secret.memory_digest` of the memory, when there is one."""
    team_env: tuple[tuple[str, str], ...] = ()
    """``AGENT_TEAM_*`` from the teams whose ``arkAgent`` roles it plays."""


def deployment_name(agent: str) -> str:
    """``<agent>-agent``."""
    return f"{agent}-agent"


def selector_labels(agent: str) -> dict[str, str]:
    """The Deployment's (immutable) pod selector."""
    return {NAME_LABEL: "agent", DEPLOYMENT_LABEL: agent}


def selector_string(agent: str) -> str:
    """:func:`selector_labels` as a label selector string (``status.selector``)."""
    return ",".join(f"{k}={v}" for k, v in sorted(selector_labels(agent).items()))


def agent_labels(agent: str) -> dict[str, str]:
    """Labels of the Deployment and its pods (reference §2.3, managed-by ``ark`` per §18 #13)."""
    return {**selector_labels(agent), INSTANCE_LABEL: agent, MANAGED_BY_LABEL: MANAGED_BY}


def _literal(name: str, value: str | int) -> Obj:
    return {"name": name, "value": escape(str(value))}


def _compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _mcp_servers(servers: list[McpServer]) -> tuple[list[Obj], list[Obj]]:
    """(the ``AGENT_MCP_SERVERS`` entries, the env vars their secret headers read from)."""
    entries: list[Obj] = []
    header_env: list[Obj] = []
    for i, server in enumerate(servers):
        entry: Obj = {"name": server.name, "url": server.url}
        if server.transport:
            entry["transport"] = server.transport
        if server.guidance:
            entry["guidance"] = server.guidance
        headers: list[Obj] = []
        for j, header in enumerate(server.headers or ()):
            if header.value_from is not None:
                variable = f"ARK_MCP_{i}_HEADER_{j}"
                header_env.append(
                    {"name": variable, "valueFrom": to_wire(header.value_from, exclude_defaults=True)}
                )
                headers.append({"name": header.name, "valueFromEnv": variable})
            else:
                headers.append({"name": header.name, "value": header.value or ""})
        if headers:
            entry["headers"] = headers
        entries.append(entry)
    return entries, header_env


def _memory_env(inputs: AgentInputs) -> list[Obj]:
    memory = inputs.memory
    if memory is None:
        if inputs.settings is None:
            return []
        return [_literal("AGENT_MEMORY_BACKEND", inputs.settings.memory_backend)]
    env = [_literal("AGENT_MEMORY_BACKEND", memory.backend)]
    if inputs.spec.memory_ref is not None:
        # The pods report their memory failures under this name (docs/api.md D190).
        env.append(_literal("AGENT_MEMORY_NAME", inputs.spec.memory_ref.name))
    if memory.backend == "redis" and memory.redis is not None:
        redis = memory.redis
        env.append(
            {
                "name": "AGENT_MEMORY_REDIS_URL",
                "valueFrom": {"secretKeyRef": {"name": redis.secret_ref.name, "key": "REDIS_URL"}},
            }
        )
        if redis.ttl_seconds > 0:
            env.append(_literal("AGENT_MEMORY_REDIS_TTL", redis.ttl_seconds))
        if redis.max_entries > 0:
            env.append(_literal("AGENT_MEMORY_REDIS_MAX_ENTRIES", redis.max_entries))
    if memory.backend == "vector-store" and memory.vector_store is not None:
        store = memory.vector_store
        env += [
            _literal("AGENT_MEMORY_VECTOR_STORE_PROVIDER", store.provider),
            _literal("AGENT_MEMORY_VECTOR_STORE_ENDPOINT", store.endpoint),
            _literal("AGENT_MEMORY_VECTOR_STORE_COLLECTION", store.collection),
        ]
        if store.secret_ref is not None:
            env.append(
                {
                    "name": "AGENT_MEMORY_VECTOR_STORE_API_KEY",
                    "valueFrom": {
                        "secretKeyRef": {"name": store.secret_ref.name, "key": "VECTOR_STORE_API_KEY"}
                    },
                }
            )
        if store.ttl_seconds > 0:
            env.append(_literal("AGENT_MEMORY_VECTOR_STORE_TTL", store.ttl_seconds))
    return env


def agent_env(inputs: AgentInputs, defaults: AgentDefaults) -> list[Obj]:
    """The agent container's ``env`` (see the module docstring for the order and rules)."""
    spec = inputs.spec
    limits = spec.limits or Limits()
    servers, header_env = _mcp_servers(spec.mcp_servers or [])
    env: list[Obj] = [
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
        _literal("AGENT_NAMESPACE", inputs.namespace),
        _literal("AGENT_NAME", inputs.name),
        _literal("AGENT_MODEL", spec.model),
        *inputs.prompt.env,
        _literal("TASK_QUEUE_URL", defaults.task_queue_url),
        *header_env,
        _literal("AGENT_MCP_SERVERS", _compact_json(servers)),
    ]
    if spec.tools:
        tools = [to_wire(tool) for tool in spec.tools]
        env.append(_literal("AGENT_WEBHOOK_TOOLS", _compact_json(tools)))
    env += [
        _literal("AGENT_MAX_TOKENS", limits.max_tokens_per_call),
        _literal("AGENT_TIMEOUT_SECONDS", limits.timeout_seconds),
        _literal("AGENT_MAX_CONCURRENT_TASKS", limits.max_concurrent_tasks),
        _literal("AGENT_MAX_RETRIES", MAX_RETRIES),
    ]
    if limits.max_daily_tokens:
        env.append(_literal("AGENT_DAILY_TOKEN_LIMIT", limits.max_daily_tokens))
    probe = spec.liveness_probe
    if probe is not None:
        if probe.type == "semantic" and probe.validator_prompt:
            env.append(_literal("AGENT_VALIDATOR_PROMPT", probe.validator_prompt))
        env.append(_literal("AGENT_PROBE_INTERVAL_SECONDS", probe.interval_seconds))
    settings = inputs.settings
    if settings is not None:
        if settings.temperature is not None:
            env.append(_literal("AGENT_TEMPERATURE", settings.temperature))
        if settings.output_format:
            env.append(_literal("AGENT_OUTPUT_FORMAT", settings.output_format))
    env += _memory_env(inputs)
    env += [_literal(name, value) for name, value in inputs.team_env]
    env = _overridden(env, [_literal(name, value) for name, value in defaults.extra_env])
    return _overridden(env, [to_wire(var) for var in spec.env or ()])


def _overridden(env: list[Obj], overrides: list[Obj]) -> list[Obj]:
    """``env`` with each override replacing the variable of its name in place, or appended."""
    positions = {var["name"]: i for i, var in enumerate(env)}
    merged = list(env)
    for var in overrides:
        index = positions.get(var["name"])
        if index is None:
            positions[var["name"]] = len(merged)
            merged.append(var)
        else:
            merged[index] = var
    return merged


def _env_from(inputs: AgentInputs, defaults: AgentDefaults) -> list[Obj]:
    env_from: list[Obj] = []
    if defaults.api_keys_secret:
        env_from.append({"secretRef": {"name": defaults.api_keys_secret, "optional": True}})
    env_from += [to_wire(source) for source in inputs.spec.env_from or ()]
    return env_from


def _probe(path: str, **timing: int) -> Obj:
    return {
        "httpGet": {"path": path, "port": HEALTH_PORT_NAME},
        "initialDelaySeconds": 10,
        "periodSeconds": 30,
        **timing,
    }


def _container(inputs: AgentInputs, defaults: AgentDefaults) -> Obj:
    container: Obj = {
        "name": CONTAINER,
        "image": defaults.image,
        "command": ["ark-runtime"],
        "ports": [{"name": HEALTH_PORT_NAME, "containerPort": HEALTH_PORT, "protocol": "TCP"}],
        "env": agent_env(inputs, defaults),
        "resources": to_wire(inputs.spec.resources) if inputs.spec.resources else DEFAULT_RESOURCES,
        "livenessProbe": _probe("/healthz"),
        "readinessProbe": _probe("/readyz", timeoutSeconds=20),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
        # A read-only root filesystem still needs somewhere for temporary files.
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    env_from = _env_from(inputs, defaults)
    if env_from:
        container["envFrom"] = env_from
    if defaults.image_pull_policy:
        container["imagePullPolicy"] = defaults.image_pull_policy
    return container


def running_prompt(deployment: Obj) -> ResolvedPrompt | None:
    """The prompt an existing Deployment delivers (to keep it while its source is missing)."""
    template = deployment.get("spec", {}).get("template", {})
    prompt_hash = (template.get("metadata", {}).get("annotations") or {}).get(PROMPT_HASH_ANNOTATION)
    containers = [c for c in template.get("spec", {}).get("containers") or () if c.get("name") == CONTAINER]
    if not prompt_hash or not containers:
        return None
    env = tuple(
        v for v in containers[0].get("env") or () if v.get("name") in (SOURCE_VARIABLE, PROMPT_VARIABLE)
    )
    if not any(v["name"] == PROMPT_VARIABLE for v in env):
        return None
    return ResolvedPrompt(env, str(prompt_hash))


def render_deployment(inputs: AgentInputs, defaults: AgentDefaults) -> Obj:
    """The server-side apply body of the agent's Deployment."""
    spec = inputs.spec
    pod_spec: Obj = {
        "containers": [_container(inputs, defaults)],
        # Agent pods talk to Redis and model APIs, never to the Kubernetes API.
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": NON_ROOT_UID,
            "runAsGroup": NON_ROOT_UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumes": [{"name": "tmp", "emptyDir": {}}],
    }
    if spec.node_selector:
        pod_spec["nodeSelector"] = dict(spec.node_selector)
    if spec.tolerations:
        pod_spec["tolerations"] = [to_wire(t) for t in spec.tolerations]
    labels = agent_labels(inputs.name)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": deployment_name(inputs.name),
            "namespace": inputs.namespace,
            "labels": labels,
            "ownerReferences": [
                {
                    "apiVersion": API_VERSION,
                    "kind": "ArkAgent",
                    "name": inputs.name,
                    "uid": inputs.uid,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "replicas": inputs.replicas,
            "revisionHistoryLimit": 3,
            "selector": {"matchLabels": selector_labels(inputs.name)},
            "template": {
                "metadata": {
                    "labels": labels,
                    "annotations": {
                        PROMPT_HASH_ANNOTATION: inputs.prompt.hash,
                        **({MEMORY_HASH_ANNOTATION: inputs.memory_hash} if inputs.memory_hash else {}),
                    },
                },
                "spec": pod_spec,
            },
        },
    }
