"""AgentConfig.from_env: the §12 environment contract."""

from __future__ import annotations

import json

import pytest

from ark_runtime.config import AgentConfig, ConfigError, Header, redis_url

BASE = {
    "AGENT_MODEL": "claude-sonnet-4-6",
    "AGENT_SYSTEM_PROMPT": "You help.",
    "TASK_QUEUE_URL": "redis:6379",
}


def test_minimal_environment_gets_the_documented_defaults() -> None:
    config = AgentConfig.from_env(BASE)
    assert config.model == "claude-sonnet-4-6"
    assert config.queue_url == "redis://redis:6379/0"
    assert (config.max_tokens, config.timeout_seconds, config.max_concurrent_tasks, config.max_retries) == (
        8000,
        120.0,
        5,
        3,
    )
    assert config.daily_token_limit == 0
    assert config.pod_name == "agent-local"
    assert config.provider is None
    assert config.max_delegation_depth == 5
    assert config.health_port == 8080


def test_every_contract_variable_is_read() -> None:
    env = {
        **BASE,
        "AGENT_PROVIDER": "OpenAI",
        "TASK_QUEUE_URL": "redis://10.0.0.5:6380/2",
        "AGENT_MCP_SERVERS": json.dumps(
            [
                {
                    "name": "kb",
                    "url": "http://kb:8099/sse",
                    "guidance": "Search first.",
                    "headers": [
                        {"name": "Authorization", "valueFromEnv": "KB_TOKEN"},
                        {"name": "X-T", "value": "t"},
                    ],
                }
            ]
        ),
        "AGENT_WEBHOOK_TOOLS": json.dumps(
            [
                {
                    "name": "lookup",
                    "url": "http://x/lookup",
                    "method": "get",
                    "inputSchema": '{"type":"object"}',
                }
            ]
        ),
        "AGENT_MAX_TOKENS": "1000",
        "AGENT_TIMEOUT_SECONDS": "30",
        "AGENT_MAX_CONCURRENT_TASKS": "7",
        "AGENT_MAX_RETRIES": "4",
        "AGENT_DAILY_TOKEN_LIMIT": "500000",
        "AGENT_VALIDATOR_PROMPT": "Say HEALTHY",
        "AGENT_TEAM_ROUTES": '{"billing": "team-billing"}',
        "AGENT_NAMESPACE": "shop",
        "AGENT_NAME": "team-lead",
        "AGENT_TEAM_ROLE": "lead",
        "AGENT_TEAM_NAME": "team",
        "POD_NAME": "team-lead-abc",
        "AGENT_TEMPERATURE": "0.3",
        "AGENT_OUTPUT_FORMAT": "markdown",
        "AGENT_MEMORY_BACKEND": "redis",
        "AGENT_MEMORY_REDIS_URL": "redis://mem:6379",
        "AGENT_MEMORY_REDIS_TTL": "60",
        "AGENT_MEMORY_REDIS_MAX_ENTRIES": "10",
        "AGENT_MEMORY_VECTOR_STORE_API_KEY": "vs-secret",
    }
    config = AgentConfig.from_env(env)
    assert config.provider == "openai"
    assert config.queue_url == "redis://10.0.0.5:6380/2"
    server = config.mcp_servers[0]
    assert (server.name, server.url, server.guidance) == ("kb", "http://kb:8099/sse", "Search first.")
    assert server.headers == (Header("Authorization", value_from_env="KB_TOKEN"), Header("X-T", value="t"))
    assert server.resolved_headers({"KB_TOKEN": "Bearer s3cret"}) == {
        "Authorization": "Bearer s3cret",
        "X-T": "t",
    }
    tool = config.webhook_tools[0]
    assert (tool.name, tool.method, tool.input_schema) == ("lookup", "GET", {"type": "object"})
    assert (config.max_tokens, config.timeout_seconds, config.max_concurrent_tasks) == (1000, 30.0, 7)
    assert (config.max_retries, config.daily_token_limit) == (4, 500000)
    assert config.team_routes == {"billing": "team-billing"}
    assert (config.namespace, config.name, config.team_role, config.team_name) == (
        "shop",
        "team-lead",
        "lead",
        "team",
    )
    assert config.pod_name == "team-lead-abc"
    assert config.temperature == 0.3
    assert config.memory.backend == "redis"
    assert config.memory.redis_ttl == 60
    assert "vs-secret" not in repr(config)


def test_headers_in_map_form() -> None:
    env = {
        **BASE,
        "AGENT_MCP_SERVERS": '[{"name":"a","url":"http://a","headers":{"Authorization":{"valueFromEnv":"TOK"},"X":"1"}}]',
    }
    server = AgentConfig.from_env(env).mcp_servers[0]
    assert server.resolved_headers({"TOK": "v"}) == {"Authorization": "v", "X": "1"}
    with pytest.raises(ConfigError, match="TOK"):
        server.resolved_headers({})


@pytest.mark.parametrize("value", ["", "null", "[]"])
def test_mcp_servers_may_be_empty(value: str) -> None:
    assert AgentConfig.from_env({**BASE, "AGENT_MCP_SERVERS": value}).mcp_servers == ()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("AGENT_MODEL", "", "AGENT_MODEL is required"),
        ("AGENT_SYSTEM_PROMPT", " ", "AGENT_SYSTEM_PROMPT is required"),
        ("TASK_QUEUE_URL", "", "TASK_QUEUE_URL is required"),
        ("TASK_QUEUE_URL", "redis", "TASK_QUEUE_URL must be host:port"),
        ("TASK_QUEUE_URL", "http://redis:6379", "TASK_QUEUE_URL must be host:port"),
        ("AGENT_MAX_TOKENS", "lots", "AGENT_MAX_TOKENS must be an integer"),
        ("AGENT_MAX_CONCURRENT_TASKS", "0", "AGENT_MAX_CONCURRENT_TASKS must be at least 1"),
        ("AGENT_TIMEOUT_SECONDS", "-1", "AGENT_TIMEOUT_SECONDS must be greater than 0"),
        ("AGENT_DAILY_TOKEN_LIMIT", "-5", "AGENT_DAILY_TOKEN_LIMIT must not be negative"),
        ("AGENT_PROVIDER", "gemini", "AGENT_PROVIDER must be one of"),
        ("AGENT_MEMORY_MAX_TOKENS", "0", "AGENT_MEMORY_MAX_TOKENS must be at least 1"),
        ("AGENT_MEMORY_MIN_SCORE", "1.5", "AGENT_MEMORY_MIN_SCORE must be between -1 and 1"),
        ("AGENT_MEMORY_TIMEOUT_SECONDS", "0", "AGENT_MEMORY_TIMEOUT_SECONDS must be greater than 0"),
        ("AGENT_TEMPERATURE", "3", "AGENT_TEMPERATURE must be between"),
        ("AGENT_MCP_SERVERS", "{", "AGENT_MCP_SERVERS is not valid JSON"),
        ("AGENT_MCP_SERVERS", '{"name":"a"}', "AGENT_MCP_SERVERS must be a JSON array"),
        ("AGENT_MCP_SERVERS", '[{"name":"a"}]', r"AGENT_MCP_SERVERS\[0\]: 'url' is required"),
        ("AGENT_MCP_SERVERS", '[{"name":"a","url":"u","transport":"ws"}]', "'transport' must be one of"),
        ("AGENT_WEBHOOK_TOOLS", '[{"name":"t","url":"u","method":"DELETE"}]', "'method' must be one of"),
        (
            "AGENT_WEBHOOK_TOOLS",
            '[{"name":"t","url":"u","inputSchema":"{nope"}]',
            "'inputSchema' is not valid JSON",
        ),
        ("AGENT_TEAM_ROUTES", '["a"]', "AGENT_TEAM_ROUTES must be a JSON object"),
        ("AGENT_HEALTH_PORT", "70000", "AGENT_HEALTH_PORT must be a port"),
    ],
)
def test_bad_values_name_the_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        AgentConfig.from_env({**BASE, variable: value})


def test_memory_variables_and_their_defaults() -> None:
    default = AgentConfig.from_env(BASE).memory
    assert (default.backend, default.max_tokens, default.recall_entries, default.min_score) == (
        "in-context",
        1024,
        5,
        0.5,
    )
    assert (default.embedding_model, default.timeout_seconds, default.scope) == (
        "text-embedding-3-small",
        2.0,
        "",
    )
    memory = AgentConfig.from_env(
        {
            **BASE,
            "AGENT_MEMORY_BACKEND": "vector-store",
            "AGENT_MEMORY_SCOPE": "shared",
            "AGENT_MEMORY_MAX_TOKENS": "300",
            "AGENT_MEMORY_RECALL_ENTRIES": "2",
            "AGENT_MEMORY_MIN_SCORE": "0.8",
            "AGENT_MEMORY_EMBEDDING_MODEL": "nomic-embed-text",
            "AGENT_MEMORY_TIMEOUT_SECONDS": "0.5",
        }
    ).memory
    assert (memory.scope, memory.max_tokens, memory.recall_entries, memory.min_score) == (
        "shared",
        300,
        2,
        0.8,
    )
    assert (memory.embedding_model, memory.timeout_seconds) == ("nomic-embed-text", 0.5)


def test_redis_url_forms() -> None:
    assert redis_url("localhost:6379") == "redis://localhost:6379/0"
    assert redis_url("rediss://user:pw@host:6380/1") == "rediss://user:pw@host:6380/1"
    with pytest.raises(ConfigError):
        redis_url("host:port")
