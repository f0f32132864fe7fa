"""ArkSettings: shared prompt fragments and model settings, referenced by ArkAgent configRef."""

from typing import Literal

from pydantic import Field

from ark.api.base import ArkModel, OpenObject
from ark.api.meta import AGE_COLUMN, ArkObject, Conditions, KindInfo, PrinterColumn

MemoryBackend = Literal["in-context", "redis", "vector-store"]
TEMPERATURE_PATTERN = r"^(0(\.[0-9]+)?|1(\.0+)?)$"
KNOWN_OUTPUT_FORMATS = ("structured-json", "markdown", "plain")


class ArkSettingsSpec(ArkModel):
    """Desired state of an ArkSettings."""

    temperature: str | None = Field(default=None, pattern=TEMPERATURE_PATTERN)
    """Sampling temperature between 0.0 and 1.0, written as a string (``AGENT_TEMPERATURE``)."""
    output_format: str | None = None
    """structured-json, markdown or plain (``AGENT_OUTPUT_FORMAT``)."""
    memory_backend: MemoryBackend = "in-context"
    """Memory backend when the agent has no memoryRef (``AGENT_MEMORY_BACKEND``)."""
    prompt_fragments: dict[str, str] | None = None
    """``persona`` is prepended to the system prompt, ``outputRules`` appended, other keys appended
    in alphabetical order; fragments are joined by a blank line."""
    security: OpenObject | None = None
    """Undocumented upstream; accepted and ignored."""


class ArkSettingsStatus(ArkModel):
    """Observed state of an ArkSettings."""

    observed_generation: int | None = Field(default=None, ge=0)
    """The generation this status describes."""
    conditions: Conditions | None = None
    """``Ready``."""


class ArkSettings(ArkObject):
    """Shared prompt fragments and model settings merged into agents that reference them."""

    info = KindInfo(
        plural="arksettings",
        printer_columns=(
            PrinterColumn("Memory", "string", ".spec.memoryBackend", "Memory backend"),
            PrinterColumn("OutputFormat", "string", ".spec.outputFormat", "Output format"),
            AGE_COLUMN,
        ),
        spec_required=False,
    )

    kind: Literal["ArkSettings"] = "ArkSettings"
    spec: ArkSettingsSpec = Field(default_factory=ArkSettingsSpec)
    """Desired state."""
    status: ArkSettingsStatus | None = None
    """Observed state, written by the operator."""
