"""Building blocks shared by several kinds: references, limits, prompts, tools, MCP servers."""

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from ark.api.base import ArkModel, CelRule, Crd, OpenObject
from ark.api.core import (
    ConfigMapKeySelector,
    EnvFromSource,
    EnvVar,
    ResourceRequirements,
    SecretKeySelector,
    Toleration,
)

ObjectName = Annotated[str, Field(min_length=1, max_length=253)]
"""The name of an object in the same namespace."""

MAX_PROMPT_CHARS = 512 * 1024
# Bounds on per-agent lists keep the CEL cost estimate of nested rules within the API server's budget.
MAX_ITEMS = 128
MAX_SERVERS = 64


class NameRef(ArkModel):
    """A reference to an object of a known kind in the same namespace."""

    name: ObjectName
    """Name of the referenced object."""


def _name_ref_from_string(value: object) -> object:
    # Older docs write `configRef: my-settings`; newer ones `configRef: {name: my-settings}`.
    return {"name": value} if isinstance(value, str) else value


# A structural schema cannot say "string or object", and the API server cannot run CEL on an
# untyped node, so the shape of these compatibility fields is checked by `ark validate` only.
STRING_OR_NAME_REF_SCHEMA: dict[str, Any] = {
    "description": "ArkSettings to merge in: {name: <settings>} or, in the older form, a bare name.",
    "x-kubernetes-preserve-unknown-fields": True,
}

CompatNameRef = Annotated[
    NameRef, BeforeValidator(_name_ref_from_string), Crd(schema=STRING_OR_NAME_REF_SCHEMA)
]
"""A :class:`NameRef` that also accepts the bare-string form."""


class KeyRef(ArkModel):
    """A key of a Secret in the same namespace."""

    name: ObjectName
    """Name of the Secret."""
    key: str = Field(min_length=1, max_length=253)
    """Key inside the Secret."""


class TokenUsage(ArkModel):
    """Token counts of one or more LLM calls."""

    input_tokens: int = Field(default=0, ge=0)
    """Prompt tokens."""
    output_tokens: int = Field(default=0, ge=0)
    """Completion tokens."""
    total_tokens: int = Field(default=0, ge=0)
    """Input plus output tokens."""


class SystemPromptRef(ArkModel):
    """A system prompt read from a ConfigMap or Secret key; exactly one of the two."""

    crd_rules = (
        CelRule(
            "has(self.configMapKeyRef) != has(self.secretKeyRef)",
            "exactly one of configMapKeyRef or secretKeyRef must be set",
        ),
    )

    config_map_key_ref: ConfigMapKeySelector | None = None
    """ConfigMap key holding the prompt."""
    secret_key_ref: SecretKeySelector | None = None
    """Secret key holding the prompt."""


class Limits(ArkModel):
    """Per-agent limits, handed to the runtime as ``AGENT_*`` environment variables."""

    max_tokens_per_call: int = Field(default=8000, ge=1)
    """Max tokens of one LLM call (``AGENT_MAX_TOKENS``)."""
    max_concurrent_tasks: int = Field(default=5, ge=1)
    """Tasks one replica works on in parallel (``AGENT_MAX_CONCURRENT_TASKS``)."""
    timeout_seconds: int = Field(default=120, ge=1)
    """Deadline of one task (``AGENT_TIMEOUT_SECONDS``)."""
    max_daily_tokens: int | None = Field(default=None, ge=1)
    """Rolling 24 h token budget; when reached, replicas are scaled to 0 until it frees up."""


class LivenessProbe(ArkModel):
    """How the agent's readiness is judged."""

    type: Literal["semantic", "ping"]
    """``semantic`` asks the model (``validatorPrompt``); ``ping`` checks the process only."""
    interval_seconds: int = Field(default=30, ge=1)
    """Seconds between probes."""
    validator_prompt: str | None = None
    """Prompt of the semantic probe; the answer must contain ``HEALTHY``."""


class HeaderValueSource(ArkModel):
    """A header value read from a Secret or ConfigMap key."""

    crd_rules = (
        CelRule(
            "has(self.secretKeyRef) != has(self.configMapKeyRef)",
            "exactly one of secretKeyRef or configMapKeyRef must be set",
        ),
    )

    secret_key_ref: SecretKeySelector | None = None
    """Secret key holding the value."""
    config_map_key_ref: ConfigMapKeySelector | None = None
    """ConfigMap key holding the value."""


class McpHeader(ArkModel):
    """One request header sent to an MCP server."""

    name: str = Field(min_length=1)
    """Header name, e.g. ``Authorization``."""
    value: str | None = None
    """Literal value."""
    value_from: HeaderValueSource | None = None
    """Value read from a Secret or ConfigMap."""


def _headers_from_map(value: object) -> object:
    # Map form `{Authorization: {secretKeyRef: ...}}` or `{X-Team: plain}` -> the list form.
    if not isinstance(value, dict):
        return value
    headers: list[dict[str, object]] = []
    for name, item in value.items():
        if isinstance(item, dict):
            headers.append({"name": name, "valueFrom": item})
        else:
            headers.append({"name": name, "value": item})
    return headers


MCP_HEADERS_SCHEMA: dict[str, Any] = {
    "description": "Request headers: a list of {name, value | valueFrom} or a map of name to a value "
    "or to {secretKeyRef | configMapKeyRef}.",
    "x-kubernetes-preserve-unknown-fields": True,
}

McpHeaders = Annotated[list[McpHeader], BeforeValidator(_headers_from_map), Crd(schema=MCP_HEADERS_SCHEMA)]


class McpServer(ArkModel):
    """An MCP tool server; its tools appear to the model as ``<name>__<tool>``."""

    name: str = Field(min_length=1)
    """Logical name, used as the tool-name prefix."""
    url: str = Field(min_length=1)
    """Base URL of the server."""
    transport: Literal["streamable-http", "sse", "http"] | None = None
    """Wire protocol; default ``sse`` for URLs ending in ``/sse``, else ``streamable-http`` with
    fallback to the simple ``http`` protocol."""
    guidance: str | None = None
    """How to use the server; appended to the system prompt under the server's name."""
    headers: McpHeaders | None = None
    """Request headers, typically from Secrets."""
    auth: OpenObject | None = None
    """Undocumented upstream; accepted and ignored."""


class HttpTool(ArkModel):
    """An inline HTTP tool: the model's arguments are sent to ``url``."""

    name: str = Field(min_length=1)
    """Tool name shown to the model."""
    description: str | None = None
    """Tool description shown to the model."""
    url: str = Field(min_length=1)
    """Endpoint called when the model invokes the tool."""
    method: Literal["GET", "POST", "PUT", "PATCH"] = "POST"
    """HTTP method; non-GET methods send the arguments as a JSON body."""
    input_schema: str | None = None
    """JSON Schema (as a string) of the tool's parameters."""


class Capability(ArkModel):
    """A capability advertised to ArkRegistry for routed teams."""

    id: str = Field(min_length=1, max_length=253)
    """Capability ID, the exact-match key."""
    description: str | None = None
    """Text the router model reads."""
    tags: list[str] | None = None
    """Coarse filter: a lookup matches agents carrying all requested tags."""
    input_schema: str | None = None
    """JSON Schema (as a string) of the expected input; documentation only."""
    output_schema: str | None = None
    """JSON Schema (as a string) of the produced output; documentation only."""
    expose_mcp: bool = Field(default=False, validation_alias="exposeMCP", serialization_alias="exposeMCP")
    """Publish the capability as a tool on the operator's MCP gateway."""


class AgentFields(ArkModel):
    """Fields an ArkAgent and an inline team role have in common."""

    system_prompt: str | None = Field(default=None, max_length=MAX_PROMPT_CHARS)
    """Inline system prompt."""
    system_prompt_ref: SystemPromptRef | None = None
    """System prompt read from a ConfigMap or Secret key; wins over systemPrompt."""
    mcp_servers: Annotated[list[McpServer], Crd(list_map_keys=("name",))] | None = Field(
        default=None, max_length=MAX_SERVERS
    )
    """MCP tool servers."""
    tools: Annotated[list[HttpTool], Crd(list_map_keys=("name",))] | None = Field(
        default=None, max_length=MAX_ITEMS
    )
    """Inline HTTP tools."""
    limits: Limits | None = None
    """Token, concurrency and time limits."""
    liveness_probe: LivenessProbe | None = None
    """Readiness probe of the agent pods."""
    config_ref: CompatNameRef | None = None
    """ArkSettings merged into the agent (prompt fragments, temperature, output format)."""
    memory_ref: NameRef | None = None
    """ArkMemory backend."""
    notify_ref: NameRef | None = None
    """ArkNotify policy for AgentDegraded and budget events."""
    capabilities: Annotated[list[Capability], Crd(list_map_keys=("id",))] | None = Field(
        default=None, max_length=MAX_ITEMS
    )
    """Capabilities advertised to ArkRegistry."""
    env_from: list[EnvFromSource] | None = Field(default=None, max_length=MAX_SERVERS)
    """ConfigMaps and Secrets whose keys become environment variables (e.g. provider keys)."""
    env: Annotated[list[EnvVar], Crd(list_map_keys=("name",))] | None = Field(
        default=None, max_length=MAX_ITEMS
    )
    """Extra environment variables of the agent container."""
    resources: ResourceRequirements | None = None
    """Requests and limits of the agent container."""
    node_selector: dict[str, str] | None = None
    """Node labels the agent pods must be scheduled on."""
    tolerations: list[Toleration] | None = Field(default=None, max_length=MAX_SERVERS)
    """Taints the agent pods tolerate."""
    autoscaling: OpenObject | None = None
    """Undocumented upstream; accepted and ignored."""
    network_policy: OpenObject | None = None
    """Undocumented upstream; accepted and ignored."""
