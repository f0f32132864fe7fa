"""Object metadata, conditions and the base of every top-level kind."""

from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from ark.api.base import ArkModel, Crd, OpenObject, Time

CONDITION_TYPE_PATTERN = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"
)
CONDITION_REASON_PATTERN = r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"


class OwnerReference(ArkModel):
    """An owner of this object (``metav1.OwnerReference``)."""

    api_version: str
    kind: str
    name: str
    uid: str
    controller: bool | None = None
    block_owner_deletion: bool | None = None


class ManagedFieldsEntry(ArkModel):
    """Server-side apply bookkeeping (``metav1.ManagedFieldsEntry``)."""

    manager: str | None = None
    operation: str | None = None
    api_version: str | None = None
    time: Time | None = None
    fields_type: str | None = None
    fields_v1: OpenObject | None = None
    subresource: str | None = None


class ObjectMeta(ArkModel):
    """Standard object metadata (``metav1.ObjectMeta``)."""

    name: str | None = None
    generate_name: str | None = None
    namespace: str | None = None
    self_link: str | None = None
    uid: str | None = None
    resource_version: str | None = None
    generation: int | None = None
    creation_timestamp: Time | None = None
    deletion_timestamp: Time | None = None
    deletion_grace_period_seconds: int | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    owner_references: list[OwnerReference] | None = None
    finalizers: list[str] | None = None
    managed_fields: list[ManagedFieldsEntry] | None = None


class Condition(ArkModel):
    """One observation of the object's state (``metav1.Condition``)."""

    type: str = Field(max_length=316, pattern=CONDITION_TYPE_PATTERN)
    """Condition type, e.g. ``Ready``."""
    status: Literal["True", "False", "Unknown"]
    """Whether the condition holds."""
    observed_generation: int | None = Field(default=None, ge=0)
    """The ``metadata.generation`` the condition was computed from."""
    last_transition_time: Time
    """When ``status`` last changed."""
    reason: str = Field(min_length=1, max_length=1024, pattern=CONDITION_REASON_PATTERN)
    """CamelCase machine-readable reason."""
    message: str = Field(max_length=32768)
    """Human-readable detail."""


Conditions = Annotated[list[Condition], Crd(list_map_keys=("type",))]


@dataclass(frozen=True)
class PrinterColumn:
    """An ``additionalPrinterColumns`` entry of a kind."""

    name: str
    type: Literal["string", "integer", "number", "boolean", "date"]
    json_path: str
    description: str = ""
    priority: int = 0


@dataclass(frozen=True)
class KindInfo:
    """How a kind is served: names, columns and subresources."""

    plural: str
    short_names: tuple[str, ...] = ()
    printer_columns: tuple[PrinterColumn, ...] = ()
    scale: bool = False
    spec_required: bool = True


AGE_COLUMN = PrinterColumn("Age", "date", ".metadata.creationTimestamp")


class ArkObject(ArkModel):
    """Base of every top-level kind: ``apiVersion``, ``kind`` and ``metadata``."""

    api_version: Literal["arkonis.dev/v1alpha1"] = "arkonis.dev/v1alpha1"
    """Always ``arkonis.dev/v1alpha1``."""
    kind: str
    """The kind of the object."""
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    """Standard object metadata."""

    info: ClassVar[KindInfo]

    @property
    def display_name(self) -> str:
        """``name``, or ``<generateName>*`` for objects named by the server, or ``<unnamed>``."""
        if self.metadata.name:
            return self.metadata.name
        if self.metadata.generate_name:
            return f"{self.metadata.generate_name}*"
        return "<unnamed>"
