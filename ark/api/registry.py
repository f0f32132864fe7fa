"""ArkRegistry: a capability index over ArkAgents, used by routed teams."""

from typing import Literal

from pydantic import Field

from ark.api.base import ArkModel, Time
from ark.api.meta import AGE_COLUMN, ArkObject, Conditions, KindInfo, PrinterColumn

KNOWN_SCOPES = ("namespace-scoped",)
DEFAULT_MAX_DEPTH = 5


class RegistryPolicy(ArkModel):
    """Limits on routing and delegation through this registry."""

    max_depth: int = Field(default=DEFAULT_MAX_DEPTH, ge=1, le=100)
    """Maximum delegation/routing depth."""
    allow_cross_team: bool = False
    """Whether agents owned by other teams may be selected."""


class ArkRegistrySpec(ArkModel):
    """Desired state of an ArkRegistry."""

    scope: str = Field(default="namespace-scoped", min_length=1)
    """Which agents are indexed; namespace-scoped indexes the registry's namespace."""
    policy: RegistryPolicy | None = None
    """Routing and delegation limits."""


class IndexedCapability(ArkModel):
    """One capability in the index."""

    agent: str
    """ArkAgent offering the capability."""
    id: str
    """Capability ID."""
    description: str | None = None
    """Capability description."""
    tags: list[str] | None = None
    """Capability tags."""


class ArkRegistryStatus(ArkModel):
    """Observed state of an ArkRegistry."""

    capabilities: list[IndexedCapability] | None = None
    """The capability index."""
    agent_count: int | None = Field(default=None, ge=0)
    """Agents advertising at least one capability."""
    capability_count: int | None = Field(default=None, ge=0)
    """Entries in the index."""
    last_indexed_at: Time | None = None
    """When the index was last rebuilt."""
    observed_generation: int | None = Field(default=None, ge=0)
    """The generation this status describes."""
    conditions: Conditions | None = None
    """``Ready``."""


class ArkRegistry(ArkObject):
    """A capability index over the ArkAgents of a namespace, consulted by routed teams."""

    info = KindInfo(
        plural="arkregistries",
        printer_columns=(
            PrinterColumn("Scope", "string", ".spec.scope", "Indexed agents"),
            PrinterColumn("Agents", "integer", ".status.agentCount", "Agents with capabilities"),
            PrinterColumn("Capabilities", "integer", ".status.capabilityCount", "Indexed capabilities"),
            AGE_COLUMN,
        ),
        spec_required=False,
    )

    kind: Literal["ArkRegistry"] = "ArkRegistry"
    spec: ArkRegistrySpec = Field(default_factory=ArkRegistrySpec)
    """Desired state."""
    status: ArkRegistryStatus | None = None
    """Observed state, written by the operator."""
