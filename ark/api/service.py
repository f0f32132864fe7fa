"""ArkService: routes tasks to the ready pods of one ArkAgent."""

from typing import Literal

from pydantic import Field

from ark.api.base import ArkModel
from ark.api.meta import AGE_COLUMN, ArkObject, Conditions, KindInfo, PrinterColumn
from ark.api.shared import ObjectName


class ServiceSelector(ArkModel):
    """The agent pool behind the service."""

    ark_agent: ObjectName
    """Target ArkAgent."""


class ServiceRouting(ArkModel):
    """How tasks are spread over ready pods."""

    strategy: Literal["round-robin", "least-busy", "random"] = "round-robin"
    """Distribution strategy (advisory: pods of one agent share a queue)."""


class ServicePort(ArkModel):
    """A port the service exposes."""

    protocol: Literal["A2A", "HTTP"]
    """HTTP for external task submission, A2A for agent-to-agent traffic."""
    port: int = Field(ge=1, le=65535)
    """Port number."""


class ArkServiceSpec(ArkModel):
    """Desired state of an ArkService."""

    selector: ServiceSelector
    """The agent pool behind the service."""
    routing: ServiceRouting | None = None
    """Distribution of tasks over pods."""
    ports: list[ServicePort] | None = None
    """Exposed ports."""


class ArkServiceStatus(ArkModel):
    """Observed state of an ArkService."""

    ready_replicas: int | None = Field(default=None, ge=0)
    """Pods eligible for tasks (passing /readyz)."""
    service_name: str | None = None
    """The Kubernetes Service the operator created for the HTTP ports (same namespace)."""
    endpoint: str | None = None
    """Where tasks are submitted: ``http://<service>.<namespace>.svc:<port>/v1/tasks``."""
    observed_generation: int | None = Field(default=None, ge=0)
    """The generation this status describes."""
    conditions: Conditions | None = None
    """``Ready``."""


class ArkService(ArkObject):
    """Routes tasks to the ready pods of one ArkAgent."""

    info = KindInfo(
        plural="arkservices",
        short_names=("aosvc",),
        printer_columns=(
            PrinterColumn("Agent", "string", ".spec.selector.arkAgent", "Target ArkAgent"),
            PrinterColumn("Strategy", "string", ".spec.routing.strategy", "Task distribution"),
            PrinterColumn("Ready", "integer", ".status.readyReplicas", "Eligible pods"),
            PrinterColumn("Endpoint", "string", ".status.endpoint", "POST tasks here", priority=1),
            AGE_COLUMN,
        ),
    )

    kind: Literal["ArkService"] = "ArkService"
    spec: ArkServiceSpec
    """Desired state."""
    status: ArkServiceStatus | None = None
    """Observed state, written by the operator."""
