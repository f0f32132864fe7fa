"""The Kubernetes core (``v1``) types that appear inside our specs, typed like upstream."""

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from ark.api.base import ArkModel, CelRule, Crd

QUANTITY_PATTERN = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))"
    r"(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)


def _quantity(value: object) -> object:
    # The API server stores int-or-string; Python always sees the string form.
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        raise PydanticCustomError(
            "ark_quantity",
            "a quantity is an integer or a string, got the number {value}",
            {"value": value, "hint": f'quote it: "{value}"'},
        )
    return value


# The pattern before the validator: pydantic then checks it in the string schema itself, not in a
# closure wrapped around it (the same errors; the prebuilt schemas can name every function).
Quantity = Annotated[
    str,
    Field(pattern=QUANTITY_PATTERN),
    BeforeValidator(_quantity),
    Crd(int_or_string=True),
]
"""A ``resource.Quantity`` such as ``500m``, ``1Gi`` or ``2``."""


class LocalObjectReference(ArkModel):
    """A reference to an object by name in the same namespace."""

    name: str = Field(min_length=1, max_length=253)
    """Name of the referenced object."""


class ConfigMapKeySelector(ArkModel):
    """Selects a key of a ConfigMap in the same namespace."""

    name: str = Field(min_length=1, max_length=253)
    """Name of the ConfigMap."""
    key: str = Field(min_length=1, max_length=253)
    """Key inside the ConfigMap's data."""
    optional: bool | None = None
    """Whether the ConfigMap or key may be missing."""


class SecretKeySelector(ArkModel):
    """Selects a key of a Secret in the same namespace."""

    name: str = Field(min_length=1, max_length=253)
    """Name of the Secret."""
    key: str = Field(min_length=1, max_length=253)
    """Key inside the Secret's data."""
    optional: bool | None = None
    """Whether the Secret or key may be missing."""


class ObjectFieldSelector(ArkModel):
    """Selects a field of the pod (downward API)."""

    api_version: str | None = None
    """Version of the schema the field path is written in (default ``v1``)."""
    field_path: str = Field(min_length=1)
    """Path of the field, e.g. ``metadata.name``."""


class ResourceFieldSelector(ArkModel):
    """Selects a resource of a container (downward API)."""

    container_name: str | None = None
    """Container name; the agent container when empty."""
    resource: str = Field(min_length=1)
    """Resource, e.g. ``limits.memory``."""
    divisor: Quantity | None = None
    """Output unit (default ``1``)."""


class EnvVarSource(ArkModel):
    """Where an environment variable's value comes from; exactly one source."""

    crd_rules = (
        CelRule(
            "(has(self.fieldRef) ? 1 : 0) + (has(self.resourceFieldRef) ? 1 : 0)"
            " + (has(self.configMapKeyRef) ? 1 : 0) + (has(self.secretKeyRef) ? 1 : 0) == 1",
            "exactly one of fieldRef, resourceFieldRef, configMapKeyRef or secretKeyRef must be set",
        ),
    )

    field_ref: ObjectFieldSelector | None = None
    """A field of the pod."""
    resource_field_ref: ResourceFieldSelector | None = None
    """A resource of the container."""
    config_map_key_ref: ConfigMapKeySelector | None = None
    """A key of a ConfigMap."""
    secret_key_ref: SecretKeySelector | None = None
    """A key of a Secret."""


class EnvVar(ArkModel):
    """An environment variable of the agent container."""

    crd_rules = (
        CelRule(
            "!(has(self.value) && has(self.valueFrom))",
            "value and valueFrom are mutually exclusive",
            field_path=".valueFrom",
        ),
    )

    name: str = Field(min_length=1)
    """Variable name."""
    value: str | None = None
    """Literal value."""
    value_from: EnvVarSource | None = None
    """Value read from a source."""


class ConfigMapEnvSource(ArkModel):
    """All keys of a ConfigMap as environment variables."""

    name: str = Field(min_length=1, max_length=253)
    """Name of the ConfigMap."""
    optional: bool | None = None
    """Whether the ConfigMap may be missing."""


class SecretEnvSource(ArkModel):
    """All keys of a Secret as environment variables."""

    name: str = Field(min_length=1, max_length=253)
    """Name of the Secret."""
    optional: bool | None = None
    """Whether the Secret may be missing."""


class EnvFromSource(ArkModel):
    """A ConfigMap or Secret whose keys all become environment variables."""

    crd_rules = (
        CelRule(
            "has(self.configMapRef) != has(self.secretRef)",
            "exactly one of configMapRef or secretRef must be set",
        ),
    )

    prefix: str | None = None
    """Prepended to every key."""
    config_map_ref: ConfigMapEnvSource | None = None
    """The ConfigMap to read."""
    secret_ref: SecretEnvSource | None = None
    """The Secret to read."""


class ResourceClaim(ArkModel):
    """A dynamic resource claim used by the container."""

    name: str = Field(min_length=1)
    """Name of a pod resource claim."""
    request: str | None = None
    """Request within the claim."""


class ResourceRequirements(ArkModel):
    """Compute resources of the agent container (``corev1.ResourceRequirements``)."""

    limits: dict[str, Quantity] | None = None
    """Maximum resources, e.g. ``{cpu: 500m, memory: 512Mi}``."""
    requests: dict[str, Quantity] | None = None
    """Guaranteed resources."""
    claims: Annotated[list[ResourceClaim], Crd(list_map_keys=("name",))] | None = None
    """Dynamic resource claims."""


class Toleration(ArkModel):
    """Lets agent pods schedule onto nodes with a matching taint."""

    key: str | None = None
    """Taint key; empty with ``operator: Exists`` matches every taint."""
    operator: Literal["Exists", "Equal"] | None = None
    """How ``key`` and ``value`` are compared (default ``Equal``)."""
    value: str | None = None
    """Taint value for ``operator: Equal``."""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    """Taint effect to match; empty matches all effects."""
    toleration_seconds: int | None = None
    """How long a ``NoExecute`` taint is tolerated before eviction."""
