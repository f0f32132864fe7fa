"""The agent's configuration, read from environment variables only (API reference §12).

Every variable of the contract is parsed here, once, into an immutable :class:`AgentConfig`;
a malformed value raises :class:`ConfigError` naming the variable, so a pod with a bad
environment fails at start-up with a message a platform engineer can act on.

Variables beyond §12 (ours, all optional): ``AGENT_RECLAIM_GRACE_SECONDS`` (default 30),
``AGENT_RECLAIM_INTERVAL_SECONDS`` (default: a tenth of the timeout, 1..30 s),
``AGENT_SHUTDOWN_GRACE_SECONDS`` (default 25), ``AGENT_MAX_DELEGATION_DEPTH`` (ArkRegistry
``policy.maxDepth``, default 5), ``AGENT_PROBE_INTERVAL_SECONDS`` (livenessProbe
``intervalSeconds``, default 30), ``AGENT_HEALTH_PORT`` (default 8080), ``AGENT_MAX_TURNS``
(default 20), ``ANTHROPIC_BASE_URL``, ``LOG_LEVEL``, and the caps and timeouts of
:class:`~ark_runtime.limits.Limits` (:func:`limits_from_env`; ``docs/api.md`` §E lists them).
Among those, for tool servers: ``AGENT_CONNECT_TIMEOUT_SECONDS`` (default 10) bounds a server's
connection, handshake and tools listing, and so how long the agent waits for its tool servers'
first connection attempts before it takes tasks (``/readyz`` is 503 meanwhile);
``AGENT_MCP_PING_SECONDS`` (default 15) is how often an open tool-server session is checked.
For memory (:class:`MemoryConfig`, ``docs/api.md`` §H): ``AGENT_MEMORY_NAME``, ``AGENT_MEMORY_SCOPE``,
``AGENT_MEMORY_MAX_TOKENS``, ``AGENT_MEMORY_RECALL_ENTRIES``, ``AGENT_MEMORY_MIN_SCORE``,
``AGENT_MEMORY_EMBEDDING_MODEL``, ``AGENT_MEMORY_TIMEOUT_SECONDS``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from ark_runtime.limits import MAX_RESPONSE_BYTES_CEILING, Limits
from ark_runtime.protocol import DEFAULT_MAX_RESULT_BYTES, MAX_RESULT_BYTES_VARIABLE

ProviderName = Literal["anthropic", "openai", "mock"]
Transport = Literal["streamable-http", "sse", "http"]
HttpMethod = Literal["GET", "POST", "PUT", "PATCH"]

_TRANSPORTS: tuple[Transport, ...] = ("streamable-http", "sse", "http")
_METHODS: tuple[HttpMethod, ...] = ("GET", "POST", "PUT", "PATCH")
_PROVIDERS: tuple[ProviderName, ...] = ("anthropic", "openai", "mock")


class ConfigError(ValueError):
    """An environment variable is missing or malformed; the message names it."""


@dataclass(frozen=True, slots=True)
class Header:
    """A request header for an MCP server: a literal value or the name of a variable holding it.

    Secrets reach the pod as environment variables (``valueFrom.secretKeyRef`` on the container);
    the server entry then names the variable (``valueFromEnv``), so the value itself never appears
    in ``AGENT_MCP_SERVERS`` and is never logged.
    """

    name: str
    value: str = ""
    value_from_env: str = ""

    def resolve(self, env: Mapping[str, str]) -> str:
        """The header value; a missing variable raises :class:`ConfigError` naming it."""
        if not self.value_from_env:
            return self.value
        if self.value_from_env not in env:
            raise ConfigError(
                f"header {self.name!r} reads environment variable {self.value_from_env}, which is not set"
            )
        return env[self.value_from_env]


@dataclass(frozen=True, slots=True)
class McpServerConfig:
    """One entry of ``AGENT_MCP_SERVERS``."""

    name: str
    url: str
    transport: Transport | None = None
    guidance: str = ""
    headers: tuple[Header, ...] = ()

    def resolved_headers(self, env: Mapping[str, str]) -> dict[str, str]:
        """Header name -> value, reading secret values from ``env``."""
        return {h.name: h.resolve(env) for h in self.headers}


@dataclass(frozen=True, slots=True)
class HttpToolConfig:
    """One entry of ``AGENT_WEBHOOK_TOOLS`` (an inline HTTP tool, reference §14.2)."""

    name: str
    url: str
    description: str = ""
    method: HttpMethod = "POST"
    input_schema: dict[str, Any] = field(default_factory=lambda: {"type": "object"})


@dataclass(frozen=True, slots=True)
class MemoryConfig:
    """ArkMemory / ArkSettings memory variables (``AGENT_MEMORY_*``).

    Backend and provider names are kept as given: :func:`ark_runtime.memory.select.select_memory`
    judges them, and an unusable memory is logged and left out rather than stopping the agent.
    """

    backend: str = "in-context"
    name: str = ""
    """``AGENT_MEMORY_NAME``: the ArkMemory's name, set by the operator; with it the pods report
    their memory failures to its status (:mod:`ark_runtime.memory.health`)."""
    redis_url: str = field(default="", repr=False)
    redis_ttl: int = 0
    redis_max_entries: int = 0
    vector_store_provider: str = ""
    vector_store_endpoint: str = ""
    vector_store_collection: str = ""
    vector_store_api_key: str = field(default="", repr=False)
    vector_store_ttl: int = 0
    scope: str = ""
    """``AGENT_MEMORY_SCOPE``: whose memory this is within the namespace (default: the agent's name)."""
    max_tokens: int = 1024
    """``AGENT_MEMORY_MAX_TOKENS``: the most recalled memory may add to a task's prompt (estimated)."""
    recall_entries: int = 5
    """``AGENT_MEMORY_RECALL_ENTRIES``: entries recalled per task, at most."""
    min_score: float = 0.5
    """``AGENT_MEMORY_MIN_SCORE``: the lowest cosine similarity a vector-store entry is recalled at."""
    embedding_model: str = "text-embedding-3-small"
    """``AGENT_MEMORY_EMBEDDING_MODEL``: the model asked for embeddings (vector store)."""
    timeout_seconds: float = 2.0
    """``AGENT_MEMORY_TIMEOUT_SECONDS``: one recall or write, whole call."""


@dataclass(frozen=True, slots=True)
class AgentConfig:
    """Everything an agent pod (or an ``ark run`` worker) needs to know about itself."""

    model: str
    system_prompt: str
    queue_url: str
    provider: ProviderName | None = None
    namespace: str = "default"
    name: str = "agent"
    pod_name: str = "agent-local"
    team_role: str = ""
    team_name: str = ""
    mcp_servers: tuple[McpServerConfig, ...] = ()
    webhook_tools: tuple[HttpToolConfig, ...] = ()
    team_routes: Mapping[str, str] = field(default_factory=dict)
    max_tokens: int = 8000
    timeout_seconds: float = 120.0
    max_concurrent_tasks: int = 5
    max_retries: int = 3
    daily_token_limit: int = 0
    validator_prompt: str = ""
    probe_interval_seconds: float = 30.0
    temperature: float | None = None
    output_format: str = ""
    memory: MemoryConfig = field(default_factory=MemoryConfig)
    max_delegation_depth: int = 5
    max_turns: int = 20
    reclaim_grace_seconds: float = 30.0
    reclaim_interval_seconds: float = 12.0
    shutdown_grace_seconds: float = 25.0
    health_port: int = 8080
    log_level: str = "INFO"
    limits: Limits = field(default_factory=Limits)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AgentConfig:
        """Parse the environment contract; raises :class:`ConfigError` naming the bad variable."""
        timeout = _positive_float(env, "AGENT_TIMEOUT_SECONDS", 120.0)
        default_reclaim = min(30.0, max(1.0, timeout / 10))
        return cls(
            model=_required(env, "AGENT_MODEL"),
            system_prompt=_required(env, "AGENT_SYSTEM_PROMPT"),
            queue_url=redis_url(_required(env, "TASK_QUEUE_URL"), variable="TASK_QUEUE_URL"),
            provider=_provider(env),
            namespace=env.get("AGENT_NAMESPACE") or "default",
            name=env.get("AGENT_NAME") or "agent",
            pod_name=env.get("POD_NAME") or "agent-local",
            team_role=env.get("AGENT_TEAM_ROLE", ""),
            team_name=env.get("AGENT_TEAM_NAME", ""),
            mcp_servers=_mcp_servers(env),
            webhook_tools=_webhook_tools(env),
            team_routes=_team_routes(env),
            max_tokens=_positive_int(env, "AGENT_MAX_TOKENS", 8000),
            timeout_seconds=timeout,
            max_concurrent_tasks=_positive_int(env, "AGENT_MAX_CONCURRENT_TASKS", 5),
            max_retries=_positive_int(env, "AGENT_MAX_RETRIES", 3),
            daily_token_limit=_non_negative_int(env, "AGENT_DAILY_TOKEN_LIMIT", 0),
            validator_prompt=env.get("AGENT_VALIDATOR_PROMPT", ""),
            probe_interval_seconds=_positive_float(env, "AGENT_PROBE_INTERVAL_SECONDS", 30.0),
            temperature=_temperature(env),
            output_format=env.get("AGENT_OUTPUT_FORMAT", ""),
            memory=_memory(env),
            max_delegation_depth=_positive_int(env, "AGENT_MAX_DELEGATION_DEPTH", 5),
            max_turns=_positive_int(env, "AGENT_MAX_TURNS", 20),
            reclaim_grace_seconds=_non_negative_float(env, "AGENT_RECLAIM_GRACE_SECONDS", 30.0),
            reclaim_interval_seconds=_positive_float(env, "AGENT_RECLAIM_INTERVAL_SECONDS", default_reclaim),
            shutdown_grace_seconds=_non_negative_float(env, "AGENT_SHUTDOWN_GRACE_SECONDS", 25.0),
            health_port=_port(env, "AGENT_HEALTH_PORT", 8080),
            log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
            limits=limits_from_env(env),
        )


def limits_from_env(env: Mapping[str, str]) -> Limits:
    """The caps and timeouts (``AGENT_MAX_*``, ``AGENT_*_TIMEOUT_SECONDS``, ``AGENT_MCP_PING_SECONDS``);
    unset means the default."""
    default = Limits()
    response = _non_negative_int(env, "AGENT_MAX_RESPONSE_BYTES", 0)
    if response > MAX_RESPONSE_BYTES_CEILING:
        raise ConfigError(
            f"AGENT_MAX_RESPONSE_BYTES must be at most {MAX_RESPONSE_BYTES_CEILING} (64 MiB), got {response}"
        )
    return Limits(
        max_response_bytes=response,
        max_tool_result_bytes=_positive_int(
            env, "AGENT_MAX_TOOL_RESULT_BYTES", default.max_tool_result_bytes
        ),
        max_mcp_message_bytes=_positive_int(
            env, "AGENT_MAX_MCP_MESSAGE_BYTES", default.max_mcp_message_bytes
        ),
        max_tools_per_server=_positive_int(env, "AGENT_MAX_TOOLS_PER_SERVER", default.max_tools_per_server),
        max_tool_list_bytes=_positive_int(env, "AGENT_MAX_TOOL_LIST_BYTES", default.max_tool_list_bytes),
        max_result_bytes=_positive_int(env, MAX_RESULT_BYTES_VARIABLE, DEFAULT_MAX_RESULT_BYTES),
        max_repeated_tool_calls=_positive_int(
            env, "AGENT_MAX_REPEATED_TOOL_CALLS", default.max_repeated_tool_calls
        ),
        connect_timeout=_positive_float(env, "AGENT_CONNECT_TIMEOUT_SECONDS", default.connect_timeout),
        tool_server_ping=_positive_float(env, "AGENT_MCP_PING_SECONDS", default.tool_server_ping),
        model_timeout=_positive_float(env, "AGENT_MODEL_TIMEOUT_SECONDS", default.model_timeout),
        tool_timeout=_positive_float(env, "AGENT_TOOL_TIMEOUT_SECONDS", default.tool_timeout),
    )


def redis_url(value: str, *, variable: str = "TASK_QUEUE_URL") -> str:
    """Normalise a queue address: plain ``host:port`` becomes ``redis://host:port/0``."""
    value = value.strip()
    if "://" in value:
        parts = urlsplit(value)
        if parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
            raise ConfigError(f"{variable} must be host:port or a redis:// URL, got {value!r}")
        return value
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{variable} must be host:port or a redis:// URL, got {value!r}")
    return f"redis://{host}:{port}/0"


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "")
    if not value.strip():
        raise ConfigError(f"{name} is required and is not set")
    return value


def _provider(env: Mapping[str, str]) -> ProviderName | None:
    value = env.get("AGENT_PROVIDER", "").strip().lower()
    if not value:
        return None
    if value not in _PROVIDERS:
        raise ConfigError(f"AGENT_PROVIDER must be one of {', '.join(_PROVIDERS)}, got {value!r}")
    return value


def _number(env: Mapping[str, str], name: str, default: float, kind: type[int] | type[float]) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        noun = "an integer" if kind is int else "a number"
        raise ConfigError(f"{name} must be {noun}, got {raw!r}") from None
    if not math.isfinite(value):
        raise ConfigError(f"{name} must be finite, got {raw!r}")
    return value


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = int(_number(env, name, default, int))
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, got {value}")
    return value


def _non_negative_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = int(_number(env, name, default, int))
    if value < 0:
        raise ConfigError(f"{name} must not be negative, got {value}")
    return value


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    value = _number(env, name, default, float)
    if value <= 0:
        raise ConfigError(f"{name} must be greater than 0, got {value}")
    return value


def _non_negative_float(env: Mapping[str, str], name: str, default: float) -> float:
    value = _number(env, name, default, float)
    if value < 0:
        raise ConfigError(f"{name} must not be negative, got {value}")
    return value


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    value = int(_number(env, name, default, int))
    if not 0 <= value < 65536:
        raise ConfigError(f"{name} must be a port number (0-65535), got {value}")
    return value


def _temperature(env: Mapping[str, str]) -> float | None:
    if not env.get("AGENT_TEMPERATURE", "").strip():
        return None
    value = _number(env, "AGENT_TEMPERATURE", 0.0, float)
    if not 0.0 <= value <= 2.0:
        raise ConfigError(f"AGENT_TEMPERATURE must be between 0 and 2, got {value}")
    return value


def _json(env: Mapping[str, str], name: str) -> Any:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{name} is not valid JSON: {exc}") from None


def _string(entry: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str:
    value = entry.get(key)
    if value is None or value == "":
        if required:
            raise ConfigError(f"{where}: {key!r} is required")
        return ""
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {key!r} must be a string, got {type(value).__name__}")
    return value


def _headers(raw: Any, where: str) -> tuple[Header, ...]:
    # Map form {name: value | {valueFromEnv: VAR}} or list form [{name, value | valueFromEnv}].
    if raw is None:
        return ()
    items: list[tuple[str, Any]]
    if isinstance(raw, dict):
        items = list(raw.items())
    elif isinstance(raw, list):
        items = []
        for entry in raw:
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise ConfigError(f"{where}: each header must be an object with a 'name'")
            items.append((entry["name"], {k: v for k, v in entry.items() if k != "name"}))
    else:
        raise ConfigError(f"{where}: 'headers' must be a list or an object")
    headers = []
    for name, spec in items:
        if isinstance(spec, str):
            headers.append(Header(name, value=spec))
        elif isinstance(spec, dict) and isinstance(spec.get("valueFromEnv"), str):
            headers.append(Header(name, value_from_env=spec["valueFromEnv"]))
        elif isinstance(spec, dict) and isinstance(spec.get("value"), str):
            headers.append(Header(name, value=spec["value"]))
        else:
            raise ConfigError(f"{where}: header {name!r} needs a string value or 'valueFromEnv'")
    return tuple(headers)


def _list_of_objects(env: Mapping[str, str], name: str) -> list[dict[str, Any]]:
    raw = _json(env, name)
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        raise ConfigError(f"{name} must be a JSON array of objects")
    return raw


def _mcp_servers(env: Mapping[str, str]) -> tuple[McpServerConfig, ...]:
    servers = []
    seen: set[str] = set()
    for i, entry in enumerate(_list_of_objects(env, "AGENT_MCP_SERVERS")):
        where = f"AGENT_MCP_SERVERS[{i}]"
        name = _string(entry, "name", where, required=True)
        if name in seen:
            raise ConfigError(f"{where}: duplicate server name {name!r}")
        seen.add(name)
        transport = _string(entry, "transport", where) or None
        if transport is not None and transport not in _TRANSPORTS:
            raise ConfigError(
                f"{where}: 'transport' must be one of {', '.join(_TRANSPORTS)}, got {transport!r}"
            )
        servers.append(
            McpServerConfig(
                name=name,
                url=_string(entry, "url", where, required=True),
                transport=transport,
                guidance=_string(entry, "guidance", where),
                headers=_headers(entry.get("headers"), where),
            )
        )
    return tuple(servers)


def _webhook_tools(env: Mapping[str, str]) -> tuple[HttpToolConfig, ...]:
    tools = []
    seen: set[str] = set()
    for i, entry in enumerate(_list_of_objects(env, "AGENT_WEBHOOK_TOOLS")):
        where = f"AGENT_WEBHOOK_TOOLS[{i}]"
        name = _string(entry, "name", where, required=True)
        if name in seen:
            raise ConfigError(f"{where}: duplicate tool name {name!r}")
        seen.add(name)
        method = (_string(entry, "method", where) or "POST").upper()
        if method not in _METHODS:
            raise ConfigError(f"{where}: 'method' must be one of {', '.join(_METHODS)}, got {method!r}")
        tools.append(
            HttpToolConfig(
                name=name,
                url=_string(entry, "url", where, required=True),
                description=_string(entry, "description", where),
                method=method,
                input_schema=_schema(entry.get("inputSchema"), where),
            )
        )
    return tuple(tools)


def _schema(raw: Any, where: str) -> dict[str, Any]:
    # The CRD carries inputSchema as a JSON string; accept an already-parsed object too.
    if raw is None or raw == "":
        return {"type": "object"}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where}: 'inputSchema' is not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: 'inputSchema' must be a JSON Schema object")
    return raw


def _team_routes(env: Mapping[str, str]) -> dict[str, str]:
    raw = _json(env, "AGENT_TEAM_ROUTES")
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
    ):
        raise ConfigError('AGENT_TEAM_ROUTES must be a JSON object {"role": "<agent or stream>"}')
    return raw


def _memory(env: Mapping[str, str]) -> MemoryConfig:
    return MemoryConfig(
        backend=env.get("AGENT_MEMORY_BACKEND") or "in-context",
        name=env.get("AGENT_MEMORY_NAME", "").strip(),
        redis_url=env.get("AGENT_MEMORY_REDIS_URL", ""),
        redis_ttl=_non_negative_int(env, "AGENT_MEMORY_REDIS_TTL", 0),
        redis_max_entries=_non_negative_int(env, "AGENT_MEMORY_REDIS_MAX_ENTRIES", 0),
        vector_store_provider=env.get("AGENT_MEMORY_VECTOR_STORE_PROVIDER", ""),
        vector_store_endpoint=env.get("AGENT_MEMORY_VECTOR_STORE_ENDPOINT", ""),
        vector_store_collection=env.get("AGENT_MEMORY_VECTOR_STORE_COLLECTION", ""),
        vector_store_api_key=env.get("AGENT_MEMORY_VECTOR_STORE_API_KEY", ""),
        vector_store_ttl=_non_negative_int(env, "AGENT_MEMORY_VECTOR_STORE_TTL", 0),
        scope=env.get("AGENT_MEMORY_SCOPE", "").strip(),
        max_tokens=_positive_int(env, "AGENT_MEMORY_MAX_TOKENS", 1024),
        recall_entries=_positive_int(env, "AGENT_MEMORY_RECALL_ENTRIES", 5),
        min_score=_score(env),
        embedding_model=env.get("AGENT_MEMORY_EMBEDDING_MODEL", "").strip() or "text-embedding-3-small",
        timeout_seconds=_positive_float(env, "AGENT_MEMORY_TIMEOUT_SECONDS", 2.0),
    )


def _score(env: Mapping[str, str]) -> float:
    value = _number(env, "AGENT_MEMORY_MIN_SCORE", 0.5, float)
    if not -1.0 <= value <= 1.0:
        raise ConfigError(f"AGENT_MEMORY_MIN_SCORE must be between -1 and 1, got {value}")
    return value
