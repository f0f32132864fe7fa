"""Inline HTTP tools (reference §14.2): the model's arguments are sent to a URL.

Arguments are validated against the tool's ``inputSchema`` before any request is made. For
POST/PUT/PATCH they are the JSON body; GET sends no body and passes scalar arguments as query
parameters. The response body is the tool result; a non-2xx status is a tool error carrying
the status and body. Only one byte more than the tool-result cap is ever read (the
:class:`~ark_runtime.tools.base.ToolSet` then cuts it with a marker), and the whole call is
bounded by ``AGENT_TOOL_TIMEOUT_SECONDS``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import httpx
import jsonschema
from jsonschema.exceptions import SchemaError

from ark_runtime.config import ConfigError, HttpToolConfig
from ark_runtime.limits import Limits
from ark_runtime.net.bounds import PeerError, display_url, headers_error, oversized_headers
from ark_runtime.net.client import bounded_client, read_prefix
from ark_runtime.tools.base import ToolResult


def schema_validator(schema: Mapping[str, Any], where: str) -> jsonschema.protocols.Validator:
    """A validator for ``schema``; an invalid schema raises :class:`ConfigError` naming ``where``."""
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(dict(schema))
    except SchemaError as exc:
        raise ConfigError(f"{where}: inputSchema is not a valid JSON Schema: {exc.message}") from None
    return cls(dict(schema))


def argument_error(validator: jsonschema.protocols.Validator, tool: str, arguments: Mapping[str, Any]) -> str:
    """Why ``arguments`` do not fit the tool's schema ('' when they do)."""
    error = jsonschema.exceptions.best_match(validator.iter_errors(dict(arguments)))
    if error is None:
        return ""
    where = "/".join(str(p) for p in error.absolute_path)
    return f"invalid arguments for {tool}: {error.message}" + (f" (at {where})" if where else "")


def tool_client(limits: Limits) -> httpx.AsyncClient:
    """The client inline tools and simple HTTP tool servers share: bounded like every other."""
    return bounded_client(
        default_cap=limits.max_mcp_message_bytes,
        connect_timeout=limits.connect_timeout,
        read_timeout=limits.tool_timeout,
    )


def transport_failure(tool: str, url: str, exc: httpx.HTTPError) -> str:
    """The tool error for a request that failed below HTTP."""
    if oversized_headers(exc):
        return f"{tool}: {headers_error(url)}"
    return f"{tool}: cannot reach {display_url(url)}: {type(exc).__name__} {exc}".rstrip()


class HttpTool:
    """One inline HTTP tool."""

    def __init__(
        self, config: HttpToolConfig, client: httpx.AsyncClient, limits: Limits | None = None
    ) -> None:
        self.config = config
        self._client = client
        self._limits = limits or Limits()
        self._validator = schema_validator(config.input_schema, f"AGENT_WEBHOOK_TOOLS tool {config.name!r}")

    @property
    def name(self) -> str:
        """Tool name shown to the model."""
        return self.config.name

    @property
    def description(self) -> str:
        """Tool description shown to the model."""
        return self.config.description or f"Calls {self.config.method} {self.config.url}"

    @property
    def input_schema(self) -> Mapping[str, Any]:
        """The tool's parameters schema."""
        return self.config.input_schema

    async def call(self, arguments: Mapping[str, Any]) -> ToolResult:
        """Validate, send, and turn the response into a result."""
        invalid = argument_error(self._validator, self.name, arguments)
        if invalid:
            return ToolResult(invalid, is_error=True)
        method, url = self.config.method, self.config.url
        timeout = self._limits.tool_timeout
        if method == "GET":
            params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in arguments.items()}
            request = self._client.build_request("GET", url, params=params)
        else:
            request = self._client.build_request(method, url, json=dict(arguments))
        try:
            async with asyncio.timeout(timeout):
                response = await self._client.send(request, stream=True)
                try:
                    body = await read_prefix(response, self._limits.max_tool_result_bytes + 1)
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout):
            return ToolResult(
                f"{self.name}: no complete answer from {display_url(url)} within {timeout:g}s "
                "(AGENT_TOOL_TIMEOUT_SECONDS)",
                is_error=True,
            )
        except PeerError as exc:
            return ToolResult(f"{self.name}: {exc}", is_error=True)
        except httpx.HTTPError as exc:
            return ToolResult(transport_failure(self.name, url, exc), is_error=True)
        text = body.decode("utf-8", "replace")
        if not response.is_success:
            return ToolResult(f"{self.name}: HTTP {response.status_code}: {text}", is_error=True)
        return ToolResult(text)
