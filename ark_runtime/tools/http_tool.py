"""Inline HTTP tools (reference §14.2): the model's arguments are sent to a URL.

Arguments are validated against the tool's ``inputSchema`` before any request is made. For
POST/PUT/PATCH they are the JSON body; GET sends no body and passes scalar arguments as query
parameters. The response body is the tool result; a non-2xx status is a tool error carrying
the status and body.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
import jsonschema
from jsonschema.exceptions import SchemaError

from ark_runtime.config import ConfigError, HttpToolConfig
from ark_runtime.tools.base import ToolResult

MAX_RESULT_CHARS = 20_000
DEFAULT_TIMEOUT = 60.0


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


def clip(text: str) -> str:
    """Keep a tool result to a size a model can take."""
    if len(text) <= MAX_RESULT_CHARS:
        return text
    return text[:MAX_RESULT_CHARS] + f"\n[... {len(text) - MAX_RESULT_CHARS} more characters cut]"


class HttpTool:
    """One inline HTTP tool."""

    def __init__(
        self, config: HttpToolConfig, client: httpx.AsyncClient, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.config = config
        self._client = client
        self._timeout = timeout
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
        method = self.config.method
        try:
            if method == "GET":
                params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in arguments.items()}
                response = await self._client.get(self.config.url, params=params, timeout=self._timeout)
            else:
                response = await self._client.request(
                    method, self.config.url, json=dict(arguments), timeout=self._timeout
                )
        except httpx.HTTPError as exc:
            return ToolResult(
                f"{self.name}: cannot reach {self.config.url}: {type(exc).__name__} {exc}", is_error=True
            )
        if not response.is_success:
            return ToolResult(
                f"{self.name}: HTTP {response.status_code}: {clip(response.text)}", is_error=True
            )
        return ToolResult(clip(response.text))
