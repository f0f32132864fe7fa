"""The Deployment an ArkAgent becomes, and the agent pod's environment contract (reference §12)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ark.controllers.agent.deployment import (
    DEFAULT_RESOURCES,
    AgentDefaults,
    agent_env,
    render_deployment,
    running_prompt,
    selector_string,
)
from ark.controllers.agent.prompt import resolve_prompt
from ark_runtime.config import AgentConfig
from tests.unit.controllers.conftest import DEFAULTS, inputs, memory, settings, spec


def env_map(env: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {var["name"]: var for var in env}


def values(env: list[dict[str, Any]]) -> dict[str, str]:
    return {var["name"]: var["value"] for var in env if "value" in var}


def test_deployment_name_labels_owner_and_selector() -> None:
    deployment = render_deployment(inputs(spec(replicas=3)), DEFAULTS)
    meta = deployment["metadata"]
    assert (deployment["apiVersion"], deployment["kind"]) == ("apps/v1", "Deployment")
    assert (meta["name"], meta["namespace"]) == ("web-agent", "team-a")
    labels = {
        "app.kubernetes.io/name": "agent",
        "app.kubernetes.io/instance": "web",
        "app.kubernetes.io/managed-by": "ark",
        "arkonis.dev/deployment": "web",
    }
    assert meta["labels"] == labels
    assert meta["ownerReferences"] == [
        {
            "apiVersion": "arkonis.dev/v1alpha1",
            "kind": "ArkAgent",
            "name": "web",
            "uid": "uid-1",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["selector"] == {
        "matchLabels": {"app.kubernetes.io/name": "agent", "arkonis.dev/deployment": "web"}
    }
    assert deployment["spec"]["template"]["metadata"]["labels"] == labels
    assert selector_string("web") == "app.kubernetes.io/name=agent,arkonis.dev/deployment=web"


def test_replicas_come_from_the_inputs_not_the_spec() -> None:
    # The budget forces 0 while the spec still says 3.
    assert render_deployment(inputs(spec(replicas=3), replicas=0), DEFAULTS)["spec"]["replicas"] == 0


def test_container_probes_port_security_and_default_resources() -> None:
    pod = render_deployment(inputs(), DEFAULTS)["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["name"] == "agent"
    assert container["image"] == "ghcr.io/arkonis-dev/ark:1.2.3"
    assert container["command"] == ["ark-runtime"]
    assert container["ports"] == [{"name": "health", "containerPort": 8080, "protocol": "TCP"}]
    assert container["livenessProbe"] == {
        "httpGet": {"path": "/healthz", "port": "health"},
        "initialDelaySeconds": 10,
        "periodSeconds": 30,
    }
    assert container["readinessProbe"] == {
        "httpGet": {"path": "/readyz", "port": "health"},
        "initialDelaySeconds": 10,
        "periodSeconds": 30,
        "timeoutSeconds": 20,
    }
    assert container["resources"] == DEFAULT_RESOURCES
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert container["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert pod["volumes"] == [{"name": "tmp", "emptyDir": {}}]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["automountServiceAccountToken"] is False
    assert "envFrom" not in container
    assert "imagePullPolicy" not in container
    assert "nodeSelector" not in pod
    assert "tolerations" not in pod


def test_resources_env_from_scheduling_and_pull_policy_from_spec_and_operator() -> None:
    agent = spec(
        resources={"requests": {"cpu": "250m", "memory": 1024}, "limits": {"memory": "1Gi"}},
        envFrom=[
            {"secretRef": {"name": "llm"}},
            {"configMapRef": {"name": "extra", "optional": True}, "prefix": "X_"},
        ],
        nodeSelector={"pool": "agents"},
        tolerations=[{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
    )
    defaults = AgentDefaults(
        image="img:1", task_queue_url="r:6379", image_pull_policy="Always", api_keys_secret="ark-api-keys"
    )
    pod = render_deployment(inputs(agent), defaults)["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["resources"] == {
        "requests": {"cpu": "250m", "memory": "1024"},
        "limits": {"memory": "1Gi"},
    }
    assert container["envFrom"] == [
        {"secretRef": {"name": "ark-api-keys", "optional": True}},
        {"secretRef": {"name": "llm"}},
        {"configMapRef": {"name": "extra", "optional": True}, "prefix": "X_"},
    ]
    assert container["imagePullPolicy"] == "Always"
    assert pod["nodeSelector"] == {"pool": "agents"}
    assert pod["tolerations"] == [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}]


def test_minimal_env_contract_in_order() -> None:
    env = agent_env(inputs(), DEFAULTS)
    assert [var["name"] for var in env] == [
        "POD_NAME",
        "AGENT_NAMESPACE",
        "AGENT_NAME",
        "AGENT_MODEL",
        "AGENT_SYSTEM_PROMPT",
        "TASK_QUEUE_URL",
        "AGENT_MCP_SERVERS",
        "AGENT_MAX_TOKENS",
        "AGENT_TIMEOUT_SECONDS",
        "AGENT_MAX_CONCURRENT_TASKS",
        "AGENT_MAX_RETRIES",
    ]
    assert env[0] == {
        "name": "POD_NAME",
        "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}},
    }
    assert values(env) == {
        "AGENT_NAMESPACE": "team-a",
        "AGENT_NAME": "web",
        "AGENT_MODEL": "claude-sonnet-4-6",
        "AGENT_SYSTEM_PROMPT": "You help.",
        "TASK_QUEUE_URL": "redis.ark-system.svc:6379",
        "AGENT_MCP_SERVERS": "[]",
        "AGENT_MAX_TOKENS": "8000",
        "AGENT_TIMEOUT_SECONDS": "120",
        "AGENT_MAX_CONCURRENT_TASKS": "5",
        "AGENT_MAX_RETRIES": "3",
    }


def test_full_env_contract_parses_in_the_runtime() -> None:
    agent = spec(
        model="gpt-4o",
        limits={
            "maxTokensPerCall": 1000,
            "maxConcurrentTasks": 2,
            "timeoutSeconds": 45,
            "maxDailyTokens": 50000,
        },
        livenessProbe={"type": "semantic", "intervalSeconds": 60, "validatorPrompt": "Say HEALTHY."},
        mcpServers=[
            {
                "name": "search",
                "url": "http://search:8080/sse",
                "guidance": "Search first.",
                "headers": {
                    "Authorization": {"secretKeyRef": {"name": "search", "key": "token"}},
                    "X-Team": "ml",
                },
            },
            {"name": "kb", "url": "http://kb:8099", "transport": "http"},
        ],
        tools=[
            {
                "name": "fetch",
                "description": "Fetch a page",
                "url": "http://f/fetch",
                "inputSchema": '{"type":"object"}',
            }
        ],
    )
    env = agent_env(
        inputs(
            agent, agent_settings=settings(temperature="0.3", outputFormat="markdown", memoryBackend="redis")
        ),
        DEFAULTS,
    )
    by_name = env_map(env)
    assert by_name["AGENT_DAILY_TOKEN_LIMIT"]["value"] == "50000"
    assert by_name["AGENT_VALIDATOR_PROMPT"]["value"] == "Say HEALTHY."
    assert by_name["AGENT_PROBE_INTERVAL_SECONDS"]["value"] == "60"
    assert by_name["AGENT_TEMPERATURE"]["value"] == "0.3"
    assert by_name["AGENT_OUTPUT_FORMAT"]["value"] == "markdown"
    assert by_name["AGENT_MEMORY_BACKEND"]["value"] == "redis"
    assert by_name["ARK_MCP_0_HEADER_0"] == {
        "name": "ARK_MCP_0_HEADER_0",
        "valueFrom": {"secretKeyRef": {"name": "search", "key": "token"}},
    }
    assert json.loads(by_name["AGENT_MCP_SERVERS"]["value"]) == [
        {
            "name": "search",
            "url": "http://search:8080/sse",
            "guidance": "Search first.",
            "headers": [
                {"name": "Authorization", "valueFromEnv": "ARK_MCP_0_HEADER_0"},
                {"name": "X-Team", "value": "ml"},
            ],
        },
        {"name": "kb", "url": "http://kb:8099", "transport": "http"},
    ]
    assert json.loads(by_name["AGENT_WEBHOOK_TOOLS"]["value"]) == [
        {
            "name": "fetch",
            "description": "Fetch a page",
            "url": "http://f/fetch",
            "method": "POST",
            "inputSchema": '{"type":"object"}',
        }
    ]
    # What the kubelet hands the runtime: literal values, and the secret header resolved.
    kubelet = {**values(env), "POD_NAME": "web-agent-abc", "ARK_MCP_0_HEADER_0": "s3cret"}
    config = AgentConfig.from_env(kubelet)
    assert (config.model, config.namespace, config.name, config.pod_name) == (
        "gpt-4o",
        "team-a",
        "web",
        "web-agent-abc",
    )
    assert (config.max_tokens, config.max_concurrent_tasks, config.timeout_seconds) == (1000, 2, 45.0)
    assert (config.daily_token_limit, config.max_retries, config.probe_interval_seconds) == (50000, 3, 60.0)
    assert config.validator_prompt == "Say HEALTHY."
    assert config.temperature == 0.3
    assert config.mcp_servers[0].resolved_headers(kubelet) == {"Authorization": "s3cret", "X-Team": "ml"}
    assert config.webhook_tools[0].input_schema == {"type": "object"}
    assert config.queue_url == "redis://redis.ark-system.svc:6379/0"


def test_ping_probe_sets_no_validator_prompt() -> None:
    env = env_map(
        agent_env(inputs(spec(livenessProbe={"type": "ping", "validatorPrompt": "ignored"})), DEFAULTS)
    )
    assert "AGENT_VALIDATOR_PROMPT" not in env
    assert env["AGENT_PROBE_INTERVAL_SECONDS"]["value"] == "30"


def test_redis_memory_reads_its_url_from_the_secret() -> None:
    agent_memory = memory(
        backend="redis", redis={"secretRef": {"name": "mem"}, "ttlSeconds": 0, "maxEntries": 7}
    )
    # ArkMemory wins over the settings' memoryBackend.
    env = agent_env(
        inputs(agent_memory=agent_memory, agent_settings=settings(memoryBackend="vector-store")), DEFAULTS
    )
    by_name = env_map(env)
    assert by_name["AGENT_MEMORY_BACKEND"]["value"] == "redis"
    assert by_name["AGENT_MEMORY_REDIS_URL"]["valueFrom"] == {
        "secretKeyRef": {"name": "mem", "key": "REDIS_URL"}
    }
    assert "AGENT_MEMORY_REDIS_TTL" not in by_name  # only when > 0
    assert by_name["AGENT_MEMORY_REDIS_MAX_ENTRIES"]["value"] == "7"


def test_vector_store_memory() -> None:
    agent_memory = memory(
        backend="vector-store",
        vectorStore={
            "provider": "qdrant",
            "endpoint": "http://q:6333",
            "secretRef": {"name": "q"},
            "ttlSeconds": 60,
        },
    )
    by_name = env_map(agent_env(inputs(agent_memory=agent_memory), DEFAULTS))
    assert by_name["AGENT_MEMORY_BACKEND"]["value"] == "vector-store"
    assert by_name["AGENT_MEMORY_VECTOR_STORE_PROVIDER"]["value"] == "qdrant"
    assert by_name["AGENT_MEMORY_VECTOR_STORE_ENDPOINT"]["value"] == "http://q:6333"
    assert by_name["AGENT_MEMORY_VECTOR_STORE_COLLECTION"]["value"] == "agent-memories"
    assert by_name["AGENT_MEMORY_VECTOR_STORE_API_KEY"]["valueFrom"] == {
        "secretKeyRef": {"name": "q", "key": "VECTOR_STORE_API_KEY"}
    }
    assert by_name["AGENT_MEMORY_VECTOR_STORE_TTL"]["value"] == "60"


def test_without_settings_or_memory_no_memory_backend_is_set() -> None:
    assert not any(var["name"].startswith("AGENT_MEMORY") for var in agent_env(inputs(), DEFAULTS))


def test_user_env_replaces_ours_in_place_and_appends_the_rest() -> None:
    agent = spec(
        env=[
            {"name": "AGENT_MAX_RETRIES", "value": "9"},
            {"name": "AGENT_TEAM_ROLE", "value": "writer"},
            {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        ]
    )
    env = agent_env(inputs(agent), DEFAULTS)
    names = [var["name"] for var in env]
    assert names.count("AGENT_MAX_RETRIES") == 1
    assert names.index("AGENT_MAX_RETRIES") == names.index("AGENT_MAX_CONCURRENT_TASKS") + 1
    assert env_map(env)["AGENT_MAX_RETRIES"]["value"] == "9"
    assert names[-2:] == ["AGENT_TEAM_ROLE", "NODE"]
    assert env[-1] == {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}


def test_operator_extra_env_sits_between_ours_and_the_agents() -> None:
    defaults = AgentDefaults(
        image="img:1",
        task_queue_url="r:6379",
        extra_env=(("AGENT_PROVIDER", "mock"), ("TASK_QUEUE_URL", "redis://local:1/0"), ("X", "$(HOME)")),
    )
    agent = spec(env=[{"name": "AGENT_PROVIDER", "value": "openai"}, {"name": "MINE", "value": "1"}])
    env = agent_env(inputs(agent), defaults)
    names = [var["name"] for var in env]
    # Same name as one of ours: replaced in place, so later $(TASK_QUEUE_URL) references still resolve.
    assert names.count("TASK_QUEUE_URL") == 1
    assert names.index("TASK_QUEUE_URL") == names.index("AGENT_SYSTEM_PROMPT") + 1
    assert env_map(env)["TASK_QUEUE_URL"]["value"] == "redis://local:1/0"
    # New names are appended after ours, before the agent's own; the agent's own still wins.
    assert names[-3:] == ["AGENT_PROVIDER", "X", "MINE"]
    assert env_map(env)["AGENT_PROVIDER"]["value"] == "openai"
    # Values are literals: the kubelet must not expand them.
    assert env_map(env)["X"]["value"] == "$$(HOME)"


def test_extra_env_reaches_the_rendered_container() -> None:
    defaults = AgentDefaults(image="img:1", task_queue_url="r:6379", extra_env=(("AGENT_PROVIDER", "mock"),))
    deployment = render_deployment(inputs(), defaults)
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "AGENT_PROVIDER", "value": "mock"} in container["env"]
    assert not any(var["name"] == "AGENT_PROVIDER" for var in agent_env(inputs(), DEFAULTS))


def test_dollar_signs_in_literal_values_survive_kubelet_expansion() -> None:
    env = env_map(agent_env(inputs(spec(model="m$(X)", systemPrompt="Costs $5, see $(HOME)")), DEFAULTS))
    assert env["AGENT_MODEL"]["value"] == "m$$(X)"
    assert env["AGENT_SYSTEM_PROMPT"]["value"] == "Costs $$5, see $$(HOME)"


def test_prompt_hash_annotation_follows_the_prompt() -> None:
    first = render_deployment(inputs(spec(systemPrompt="one")), DEFAULTS)
    second = render_deployment(inputs(spec(systemPrompt="two")), DEFAULTS)
    annotations = first["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {"arkonis.dev/system-prompt-hash": hashlib.sha256(b"one").hexdigest()}
    assert second["spec"]["template"]["metadata"]["annotations"] != annotations


def test_rendering_is_deterministic() -> None:
    agent = spec(mcpServers=[{"name": "a", "url": "http://a"}], tools=[{"name": "t", "url": "http://t"}])
    assert render_deployment(inputs(agent), DEFAULTS) == render_deployment(inputs(agent), DEFAULTS)


def test_the_running_prompt_is_read_back_from_a_deployment() -> None:
    agent = spec(systemPromptRef={"configMapKeyRef": {"name": "p", "key": "k"}})
    prompt = resolve_prompt(
        agent,
        settings(promptFragments={"persona": "P"}),
        configmap=lambda _: {"data": {"k": "text"}},
        secret=lambda _: None,
    )
    deployment = render_deployment(inputs(agent, prompt=prompt), DEFAULTS)
    kept = running_prompt(deployment)
    assert kept is not None
    assert (kept.env, kept.hash, kept.text) == (prompt.env, prompt.hash, None)
    # Rendering with the kept prompt changes nothing else.
    assert render_deployment(inputs(agent, prompt=kept), DEFAULTS) == deployment
    assert running_prompt({"spec": {"template": {"spec": {"containers": [{"name": "agent"}]}}}}) is None
