"""ArkRun: the immutable record of one execution of an ArkTeam."""

from typing import Annotated, Literal

from pydantic import Field

from ark.api.base import ArkModel, CelRule, Crd, Time
from ark.api.meta import AGE_COLUMN, ArkObject, Conditions, KindInfo, PrinterColumn
from ark.api.shared import NameRef, ObjectName, TokenUsage
from ark.api.team import ArkTeamSpec

RunPhase = Literal["Pending", "Running", "Succeeded", "Failed"]
StepPhase = Literal["Pending", "Running", "Succeeded", "Failed", "Skipped"]
TriggerType = Literal["manual", "cron", "webhook", "team-output", "submit", "step", "retry", "service"]
"""``step``: the run is one step of another run (an ``arkTeam`` role); ``retry``: ``ark retry``;
``service``: a task POSTed to an ArkService (``source`` is the ArkService's name)."""


SNAPSHOT_SCHEMA = Crd(schema={"type": "object", "x-kubernetes-preserve-unknown-fields": True})
"""The CRD leaves ``spec.teamSpec`` to the operator (D193): the snapshot is copied from an ArkTeam
the API server already checked, and checking the team's whole schema again roughly doubled the API
server's CPU on every create and status write of a run. The operator validates it as an
``ArkTeamSpec`` before running (``InvalidSpec``, naming the field)."""


class RunTrigger(ArkModel):
    """What started the run."""

    type: TriggerType
    """Kind of trigger."""
    source: str | None = None
    """Name of the triggering object (ArkEvent, upstream team, user)."""


class RetryOf(ArkModel):
    """The earlier run a retry reuses step outputs from."""

    run: ObjectName
    """Name of the earlier ArkRun (same namespace)."""
    reuse: list[str] | None = None
    """Steps whose recorded outputs are reused instead of running again."""


class ArkRunSpec(ArkModel):
    """What to run; immutable once the team snapshot (``teamSpec``) is in place.

    A run created without ``teamSpec`` (by hand) gets it, with the resolved input and the team's
    generation, from the operator once; from then on the spec never changes.
    """

    crd_rules = (
        CelRule(
            "self == oldSelf || !has(oldSelf.teamSpec)",
            "ArkRun spec is immutable once teamSpec is set",
            reason="FieldValueForbidden",
        ),
    )

    team_ref: NameRef
    """The ArkTeam that was triggered."""
    team_generation: int | None = Field(default=None, ge=0)
    """``metadata.generation`` of the team at trigger time."""
    input: dict[str, str] | None = None
    """Resolved input: declared defaults and legacy defaults overridden by the trigger's input."""
    team_spec: Annotated[ArkTeamSpec | None, SNAPSHOT_SCHEMA] = None
    """Snapshot of the team spec at trigger time; later team edits do not affect the run."""
    trigger: RunTrigger | None = None
    """What started the run."""
    retry_of: RetryOf | None = None
    """``ark retry``: the run whose succeeded steps are reused."""


class OutputRef(ArkModel):
    """Where an output too large for the status is kept: ConfigMaps ``<name>-0`` .. ``<name>-<parts-1>``.

    The parts' ``part`` keys, concatenated, are the JSON object ``{"output": ..., "outputJSON": ...}``.
    """

    name: str
    """Name prefix of the ConfigMaps (owned by the ArkRun)."""
    parts: int = Field(ge=1)
    """Number of ConfigMaps."""
    size: int = Field(ge=0)
    """Length of the full output in characters."""


class StepStatus(ArkModel):
    """Observed state of one step (or one delegation hop, or the routing decision)."""

    name: str
    """Step name: the role name in pipelines, ``route`` for the routing decision."""
    role: str | None = None
    """Role that executed the step, when it differs from the name (delegation hops)."""
    parent: str | None = None
    """Step that delegated this one (dynamic mode)."""
    phase: StepPhase = "Pending"
    """Pending, Running, Succeeded, Failed or Skipped."""
    task_id: str | None = Field(default=None, validation_alias="taskID", serialization_alias="taskID")
    """Task queue id of the current attempt."""
    attempt: int | None = Field(default=None, ge=0)
    """Attempt number of the current try (retries after validation failures)."""
    iterations: int | None = Field(default=None, ge=0)
    """Completed loop iterations."""
    schema_retries: int | None = Field(default=None, ge=0)
    """Retries after an outputSchema violation in the current iteration (at most 1)."""
    validation_retries: int | None = Field(default=None, ge=0)
    """Retries after a failed ``validate`` check in the current iteration (at most maxRetries)."""
    output: str | None = None
    """Raw output text (a preview when ``outputRef`` is set)."""
    output_ref: OutputRef | None = None
    """Where the full output is kept when it is too large for the status."""
    delegation_id: str | None = Field(
        default=None, validation_alias="delegationID", serialization_alias="delegationID"
    )
    """Delegation hops: the id the delegating agent gave the call, so a repeated call finds the hop."""
    output_json: str | None = Field(
        default=None, validation_alias="outputJSON", serialization_alias="outputJSON"
    )
    """JSON extracted from the output, when a schema applies."""
    message: str | None = None
    """Why the step is in its phase (skip reason, error)."""
    start_time: Time | None = None
    """When the step started."""
    completion_time: Time | None = None
    """When the step finished."""
    token_usage: TokenUsage | None = None
    """Tokens used by the step."""
    resolved_agent: str | None = None
    """Routed runs: the agent the task was dispatched to."""
    selected_capability: str | None = None
    """Routed runs: the capability the router picked."""
    routing_reason: str | None = None
    """Routed runs: the router's reason."""


class ArkRunStatus(ArkModel):
    """Observed state of an ArkRun."""

    phase: RunPhase | None = None
    """Pending, Running, Succeeded or Failed; terminal phases never change."""
    start_time: Time | None = None
    """When the run started."""
    completion_time: Time | None = None
    """When the run reached a terminal phase."""
    duration_seconds: float | None = Field(default=None, ge=0)
    """Wall-clock duration."""
    output: str | None = None
    """Rendered team output once Succeeded (a preview when ``outputRef`` is set)."""
    output_ref: OutputRef | None = None
    """Where the full output is kept when it is too large for the status."""
    steps: list[StepStatus] | None = None
    """Per-step state."""
    total_token_usage: TokenUsage | None = None
    """Sum over steps."""
    failed_step: str | None = None
    """Name of the step that failed."""
    message: str | None = None
    """Human reason for a failure."""
    observed_generation: int | None = Field(default=None, ge=0)
    """The generation this status describes."""
    conditions: Conditions | None = None
    """``Ready``."""


class ArkRun(ArkObject):
    """One execution of an ArkTeam: the input, a snapshot of the team, and the step-by-step record."""

    info = KindInfo(
        plural="arkruns",
        short_names=("aorun",),
        printer_columns=(
            PrinterColumn("Team", "string", ".spec.teamRef.name", "Team that was run"),
            PrinterColumn("Phase", "string", ".status.phase", "Pending, Running, Succeeded or Failed"),
            PrinterColumn("Tokens", "integer", ".status.totalTokenUsage.totalTokens", "Tokens used"),
            PrinterColumn("Duration", "number", ".status.durationSeconds", "Seconds from start to end"),
            PrinterColumn("Started", "date", ".status.startTime", "When the run started", priority=1),
            AGE_COLUMN,
        ),
    )

    kind: Literal["ArkRun"] = "ArkRun"
    spec: ArkRunSpec
    """What to run."""
    status: ArkRunStatus | None = None
    """Observed state, written by the operator."""
