"""Checks of agent fields, shared by ArkAgent and inline team roles."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ark.api.core import EnvFromSource, EnvVar, ResourceRequirements, Toleration
from ark.api.issues import Path
from ark.api.shared import AgentFields, Limits, McpServer
from ark.api.validation.jsonschemas import check_json_schema
from ark.api.validation.names import check_reference
from ark.api.validation.quantities import parse_quantity
from ark.api.validation.report import Report
from ark.api.validation.urls import check_http_url

if TYPE_CHECKING:
    from ark.api.agent import ArkAgent

PROMPT_WARN_BYTES = 50 * 1024
PROMPT_MAX_BYTES = 512 * 1024
BUILTIN_TOOLS = ("delegate", "submit_subtask")
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
IGNORED_AGENT_FIELDS = {"autoscaling": "autoscaling", "network_policy": "networkPolicy"}


def check_agent(report: Report, agent: ArkAgent) -> None:
    """Semantic checks of an ArkAgent."""
    spec = agent.spec
    base: Path = ("spec",)
    if spec.system_prompt is None and spec.system_prompt_ref is None:
        report.error(
            (*base, "systemPrompt"),
            "at least one of systemPrompt or systemPromptRef must be set",
            "add systemPrompt, or systemPromptRef.configMapKeyRef / secretKeyRef",
        )
    check_agent_fields(report, base, spec)


def check_agent_fields(report: Report, base: Path, fields: AgentFields) -> None:
    """Checks of the fields an ArkAgent and an inline role share; ``base`` is their parent path."""
    _check_prompt(report, base, fields)
    for index, tool in enumerate(fields.tools or ()):
        path = (*base, "tools", index)
        if not _TOOL_NAME.match(tool.name):
            report.warning(
                (*path, "name"),
                f'tool name "{tool.name}" is refused by the Anthropic and OpenAI APIs',
                "use at most 64 letters, digits, '_' or '-'",
            )
        if tool.name in BUILTIN_TOOLS:
            report.warning(
                (*path, "name"), f'"{tool.name}" is a built-in tool and shadows this one', "rename it"
            )
        check_http_url(report, (*path, "url"), tool.url)
        if tool.input_schema is not None:
            check_json_schema(report, (*path, "inputSchema"), tool.input_schema)
    _duplicates(report, base, "tools", "name", [tool.name for tool in fields.tools or ()], "tool")
    for index, server in enumerate(fields.mcp_servers or ()):
        _check_mcp_server(report, (*base, "mcpServers", index), server)
    servers = [server.name for server in fields.mcp_servers or ()]
    _duplicates(report, base, "mcpServers", "name", servers, "MCP server")
    if fields.limits is not None:
        _check_limits(report, (*base, "limits"), fields.limits)
    probe = fields.liveness_probe
    if probe is not None and probe.type == "ping" and probe.validator_prompt:
        report.warning(
            (*base, "livenessProbe", "validatorPrompt"),
            "validatorPrompt is only used by the semantic probe",
            "set type: semantic or remove validatorPrompt",
        )
    if probe is not None and probe.type == "semantic" and not probe.validator_prompt:
        report.warning(
            (*base, "livenessProbe", "type"),
            "a semantic probe without validatorPrompt only checks the process, like ping",
            "add validatorPrompt",
        )
    for index, capability in enumerate(fields.capabilities or ()):
        for attr, wire in (("input_schema", "inputSchema"), ("output_schema", "outputSchema")):
            text = getattr(capability, attr)
            if text is not None:
                check_json_schema(report, (*base, "capabilities", index, wire), text)
    capabilities = [item.id for item in fields.capabilities or ()]
    _duplicates(report, base, "capabilities", "id", capabilities, "capability")
    for attr, wire, kind in (
        ("config_ref", "configRef", "ArkSettings"),
        ("memory_ref", "memoryRef", "ArkMemory"),
        ("notify_ref", "notifyRef", "ArkNotify"),
    ):
        ref = getattr(fields, attr)
        if ref is not None:
            check_reference(report, (*base, wire, "name"), ref.name, kind)
    for index, source in enumerate(fields.env_from or ()):
        _check_env_from(report, (*base, "envFrom", index), source)
    for index, var in enumerate(fields.env or ()):
        _check_env(report, (*base, "env", index), var)
    _duplicates(report, base, "env", "name", [var.name for var in fields.env or ()], "environment variable")
    if fields.resources is not None:
        _check_resources(report, (*base, "resources"), fields.resources)
    for index, toleration in enumerate(fields.tolerations or ()):
        _check_toleration(report, (*base, "tolerations", index), toleration)
    for attr, wire in IGNORED_AGENT_FIELDS.items():
        if getattr(fields, attr) is not None:
            report.warning((*base, wire), f"{wire} is accepted for compatibility but has no effect yet")


def _check_prompt(report: Report, base: Path, fields: AgentFields) -> None:
    if fields.system_prompt is not None and fields.system_prompt_ref is not None:
        report.warning(
            (*base, "systemPrompt"),
            "systemPromptRef wins over systemPrompt, which is ignored",
            "remove one of them",
        )
    if fields.system_prompt is not None:
        size = len(fields.system_prompt.encode())
        if size > PROMPT_MAX_BYTES:
            report.error(
                (*base, "systemPrompt"),
                f"the prompt is {size // 1024} KiB, above the 512 KiB limit",
                "move it to a ConfigMap and shorten it",
            )
        elif size > PROMPT_WARN_BYTES:
            report.warning(
                (*base, "systemPrompt"),
                f"the prompt is {size // 1024} KiB; above 50 KiB every call gets slow and expensive",
                "shorten it",
            )
    ref = fields.system_prompt_ref
    if ref is not None and (ref.config_map_key_ref is None) == (ref.secret_key_ref is None):
        report.error(
            (*base, "systemPromptRef"),
            "exactly one of configMapKeyRef or secretKeyRef must be set",
            "keep one of them",
        )


def _check_mcp_server(report: Report, path: Path, server: McpServer) -> None:
    check_http_url(report, (*path, "url"), server.url)
    if not re.match(r"^[a-zA-Z0-9_-]+$", server.name):
        report.warning(
            (*path, "name"),
            f'tools of "{server.name}" are named "{server.name}__<tool>", which model APIs refuse',
            "use letters, digits, '_' or '-'",
        )
    for index, header in enumerate(server.headers or ()):
        header_path = (*path, "headers", index)
        if (header.value is None) == (header.value_from is None):
            report.error(header_path, f'header "{header.name}" needs exactly one of value or valueFrom')
        source = header.value_from
        if source is not None and (source.secret_key_ref is None) == (source.config_map_key_ref is None):
            report.error(
                (*header_path, "valueFrom"), "exactly one of secretKeyRef or configMapKeyRef must be set"
            )
    if server.auth is not None:
        report.warning(
            (*path, "auth"), "auth is accepted for compatibility but has no effect yet", "use headers"
        )


def _check_limits(report: Report, path: Path, limits: Limits) -> None:
    daily = limits.max_daily_tokens
    if daily is not None and daily < limits.max_tokens_per_call:
        report.warning(
            (*path, "maxDailyTokens"),
            f"the daily budget ({daily}) is below maxTokensPerCall ({limits.max_tokens_per_call})",
            "raise maxDailyTokens or lower maxTokensPerCall",
        )


def _check_env_from(report: Report, path: Path, source: EnvFromSource) -> None:
    if (source.config_map_ref is None) == (source.secret_ref is None):
        report.error(path, "exactly one of configMapRef or secretRef must be set", "keep one of them")


def _check_env(report: Report, path: Path, var: EnvVar) -> None:
    if var.value is not None and var.value_from is not None:
        report.error((*path, "valueFrom"), "value and valueFrom are mutually exclusive", "keep one of them")
    source = var.value_from
    if source is not None:
        count = sum(
            ref is not None
            for ref in (
                source.field_ref,
                source.resource_field_ref,
                source.config_map_key_ref,
                source.secret_key_ref,
            )
        )
        if count != 1:
            report.error(
                (*path, "valueFrom"),
                "exactly one of fieldRef, resourceFieldRef, configMapKeyRef or secretKeyRef must be set",
            )


def _check_resources(report: Report, path: Path, resources: ResourceRequirements) -> None:
    limits = resources.limits or {}
    for name, request in (resources.requests or {}).items():
        if name not in limits:
            continue
        wanted, cap = parse_quantity(request), parse_quantity(limits[name])
        if wanted is not None and cap is not None and wanted > cap:
            report.error(
                (*path, "requests", name),
                f"the {name} request ({request}) exceeds its limit ({limits[name]})",
                "lower the request or raise the limit",
            )


def _check_toleration(report: Report, path: Path, toleration: Toleration) -> None:
    if toleration.operator == "Exists" and toleration.value:
        report.error((*path, "value"), "value must be empty when operator is Exists", "remove value")
    if not toleration.key and toleration.operator != "Exists":
        report.error((*path, "operator"), "an empty key needs operator: Exists", "set operator: Exists")
    if toleration.toleration_seconds is not None and toleration.effect != "NoExecute":
        report.error(
            (*path, "tolerationSeconds"),
            "tolerationSeconds only applies to effect NoExecute",
            "set effect: NoExecute",
        )


def _duplicates(report: Report, base: Path, field: str, key: str, names: list[str], what: str) -> None:
    first: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in first:
            report.error(
                (*base, field, index, key),
                f'duplicate {what} "{name}" (also {field}[{first[name]}])',
                "names must be unique",
            )
        first.setdefault(name, index)
