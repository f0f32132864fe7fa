"""ArkTeam: a team of roles run as a pipeline (DAG), by delegation, or routed by capability."""

from typing import Annotated, Literal

from pydantic import Field

from ark.api.base import ArkModel, CelRule, Crd, OpenObject
from ark.api.meta import AGE_COLUMN, ArkObject, Conditions, KindInfo, PrinterColumn
from ark.api.shared import AgentFields, NameRef, ObjectName

TeamMode = Literal["Pipeline", "Dynamic", "Mixed", "Routed"]
InputType = Literal["string", "number", "integer", "boolean", "object", "array"]

MAX_ROLES = 10_000
MAX_STEPS = 10_000
"""Bounds of ``ark validate`` and ``ark run`` (docs/api.md D.19); memory is bounded by the reader's
limits (:mod:`ark.api.limits`), and a 10,000-step pipeline is linear work."""
CLUSTER_MAX_ITEMS = 1000
"""The CRDs' ``maxItems`` for roles and steps: with more, kube-apiserver's cost estimate of the
nested CEL rules (env ``valueFrom`` in each role) exceeds its budget and it refuses the CRD."""

# Wire names of the fields only an inline role may set (the CEL rule can only see typed fields,
# so configRef, whose schema is open for the bare-string form, is checked by `ark validate` alone).
INLINE_ONLY_FIELDS: tuple[str, ...] = (
    "model",
    "replicas",
    "systemPrompt",
    "systemPromptRef",
    "mcpServers",
    "tools",
    "limits",
    "livenessProbe",
    "memoryRef",
    "notifyRef",
    "capabilities",
    "envFrom",
    "env",
    "resources",
    "nodeSelector",
    "tolerations",
    "autoscaling",
    "networkPolicy",
)


class TeamRole(AgentFields):
    """A team position: an inline agent (``model``), an ArkAgent reference or an ArkTeam reference."""

    crd_rules = (
        CelRule(
            "!(has(self.arkAgent) && has(self.arkTeam))",
            "a role references either arkAgent or arkTeam, not both",
            field_path=".arkTeam",
        ),
        CelRule(
            "has(self.arkAgent) || has(self.arkTeam) || has(self.model)",
            "an inline role needs model (or reference an ArkAgent with arkAgent or an ArkTeam with arkTeam)",
            field_path=".model",
        ),
        CelRule(
            "has(self.arkAgent) || has(self.arkTeam) || has(self.systemPrompt) || has(self.systemPromptRef)",
            "an inline role needs systemPrompt or systemPromptRef",
            field_path=".systemPrompt",
        ),
        CelRule(
            "!(has(self.arkAgent) || has(self.arkTeam)) || !("
            + " || ".join(f"has(self.{name})" for name in INLINE_ONLY_FIELDS)
            + ")",
            "a role that references arkAgent or arkTeam cannot also set inline agent fields",
        ),
        CelRule(
            "!has(self.arkTeam) || !has(self.canDelegate)",
            "canDelegate is not allowed on an arkTeam role",
            field_path=".canDelegate",
        ),
    )

    name: str = Field(min_length=1, max_length=63)
    """Role name: the step identity, the delegate() routing key and part of the agent name."""
    model: str | None = Field(default=None, min_length=1)
    """Model ID of an inline role."""
    replicas: int | None = Field(default=None, ge=0, le=50)
    """Workers on this role's queue (default 1)."""
    ark_agent: ObjectName | None = None
    """Existing ArkAgent that plays this role."""
    ark_team: ObjectName | None = None
    """Existing ArkTeam that runs as this role (one step)."""
    can_delegate: list[str] | None = None
    """Roles this role may hand work to with the delegate() tool."""

    @property
    def is_inline(self) -> bool:
        """Whether the operator creates an ArkAgent ``<team>-<role>`` for this role."""
        return self.ark_agent is None and self.ark_team is None


class TeamInput(ArkModel):
    """A declared input of the team, available as ``{{ .input.<name> }}``."""

    name: str = Field(min_length=1)
    """Input key."""
    type: InputType = "string"
    """Expected type; inputs travel as strings, this says how to read them."""
    description: str | None = None
    """Human text."""
    required: bool = False
    """A trigger without this input is refused before any run is created."""
    default: str | None = None
    """Value used when the trigger omits the input."""


class StepLoop(ArkModel):
    """Re-runs a step while a condition holds."""

    condition: str = Field(min_length=1)
    """Template re-evaluated after each successful iteration; truthy runs the step again."""
    max_iterations: int = Field(default=10, ge=1, le=100)
    """Upper bound of iterations."""


class StepValidate(ArkModel):
    """Checks a step's output; all configured checks must pass."""

    crd_rules = (
        CelRule(
            "has(self.contains) || has(self.schema) || has(self.semantic)",
            "validate needs at least one of contains, schema or semantic",
        ),
    )

    contains: str | None = None
    """RE2 regular expression the output must match."""
    json_schema: str | None = Field(default=None, validation_alias="schema", serialization_alias="schema")
    """JSON Schema (as a string) the output must satisfy; the parsed JSON becomes ``.steps.<role>.data``."""
    semantic: str | None = None
    """Prompt for a judge call answering pass or fail: <reason>."""
    on_failure: Literal["retry", "fail"] = "fail"
    """What a failed check does."""
    max_retries: int = Field(default=1, ge=0, le=10)
    """Re-runs before the step fails (with onFailure: retry)."""


class PipelineStep(ArkModel):
    """One step of a pipeline; its name is its role's name."""

    role: str = Field(min_length=1, max_length=63)
    """Role executing the step; refer to the step as ``.steps.<role>``."""
    depends_on: list[str] | None = None
    """Steps that must be Succeeded or Skipped first."""
    inputs: dict[str, str] | None = None
    """Prompt lines: each value is a template over ``.input`` and ``.steps``."""
    output_schema: str | None = None
    """JSON Schema (as a string) the output must satisfy; exposed as ``.steps.<role>.data``."""
    if_: str | None = Field(default=None, validation_alias="if", serialization_alias="if")
    """Template evaluated when dependencies are done; falsy skips the step."""
    loop: StepLoop | None = None
    """Repeat the step while a condition holds."""
    validation: StepValidate | None = Field(
        default=None, validation_alias="validate", serialization_alias="validate"
    )
    """Output checks."""
    registry_lookup: OpenObject | None = None
    """Undocumented upstream; accepted and ignored."""


class TeamRouting(ArkModel):
    """Routed mode: one router call picks a capability, the whole task goes to its agent."""

    registry_ref: NameRef
    """ArkRegistry whose capability index is consulted."""
    model: str = Field(min_length=1)
    """Model of the router call."""
    fallback: ObjectName | None = None
    """ArkAgent used when no capability fits."""


class TeamLimits(ArkModel):
    """Limits of the whole team."""

    max_daily_tokens: int | None = Field(default=None, ge=1)
    """Rolling 24 h token cap; when hit, all roles scale to 0 until the window frees up."""


class ArkTeamSpec(ArkModel):
    """Desired state of an ArkTeam; the mode follows from which fields are set."""

    crd_rules = (
        CelRule(
            "[has(self.pipeline), has(self.entry), has(self.routing)].exists_one(x, x)",
            "exactly one of pipeline (pipeline mode), entry (dynamic mode) or routing (routed mode)"
            " must be set",
        ),
        CelRule(
            "!has(self.routing) || !has(self.roles)",
            "a routed team has no roles: routing dispatches to registry agents",
            field_path=".roles",
        ),
        CelRule(
            "has(self.routing) || (has(self.roles) && size(self.roles) > 0)",
            "pipeline and dynamic teams need at least one role",
            field_path=".roles",
        ),
        CelRule(
            "!has(self.entry) || (has(self.roles) && self.roles.exists(r, r.name == self.entry))",
            "entry must name one of the roles",
            field_path=".entry",
        ),
    )

    roles: (
        Annotated[list[TeamRole], Crd(list_map_keys=("name",), extra={"maxItems": CLUSTER_MAX_ITEMS})] | None
    ) = Field(default=None, max_length=MAX_ROLES)
    """Team positions."""
    entry: str | None = Field(default=None, min_length=1, max_length=63)
    """Dynamic mode: the role receiving inbound tasks."""
    pipeline: (
        Annotated[list[PipelineStep], Crd(list_map_keys=("role",), extra={"maxItems": CLUSTER_MAX_ITEMS})]
        | None
    ) = Field(default=None, max_length=MAX_STEPS)
    """Pipeline mode: steps run as a DAG."""
    routing: TeamRouting | None = None
    """Routed mode: dispatch by capability through an ArkRegistry."""
    inputs: Annotated[list[TeamInput], Crd(list_map_keys=("name",))] | None = None
    """Declared inputs."""
    input: dict[str, str] | None = None
    """Older form: default input values (applied after inputs[].default)."""
    output: str | None = None
    """Template rendering the run's final result from step outputs."""
    timeout_seconds: int | None = Field(default=None, ge=1)
    """Wall-clock limit of one run; on expiry the run fails with TimedOut."""
    max_tokens: int | None = Field(default=None, ge=1)
    """Token budget of one run; exceeding it fails the run with BudgetExceeded."""
    limits: TeamLimits | None = None
    """Limits of the whole team."""
    notify_ref: NameRef | None = None
    """ArkNotify policy receiving this team's run events."""
    successful_runs_history_limit: int = Field(default=10, ge=0)
    """Succeeded ArkRuns kept; older ones are deleted."""
    failed_runs_history_limit: int = Field(default=5, ge=0)
    """Failed ArkRuns kept; older ones are deleted."""
    autoscaling: OpenObject | None = None
    """Undocumented upstream; accepted and ignored."""
    scale_to_zero: OpenObject | None = None
    """Undocumented upstream; accepted and ignored."""
    artifact_store: OpenObject | None = None
    """Undocumented upstream; accepted and ignored."""

    @property
    def mode(self) -> TeamMode:
        """The execution mode selected by the fields present."""
        if self.routing is not None:
            return "Routed"
        if self.pipeline is not None:
            return "Mixed" if any(role.can_delegate for role in self.roles or ()) else "Pipeline"
        return "Dynamic"

    def role(self, name: str) -> TeamRole | None:
        """The role called ``name``, if any."""
        return next((role for role in self.roles or () if role.name == name), None)


class TeamRoleStatus(ArkModel):
    """Observed state of one role."""

    name: str
    """Role name."""
    agent: str | None = None
    """ArkAgent playing the role (generated or referenced)."""
    ready_replicas: int | None = Field(default=None, ge=0)
    """Ready pods of that agent."""
    replicas: int | None = Field(default=None, ge=0)
    """Desired pods of that agent."""


class ArkTeamStatus(ArkModel):
    """Observed state of an ArkTeam."""

    phase: Literal["Pending", "Ready", "Degraded"] | None = None
    """Pending until every role has a ready replica, then Ready; Degraded when a role has none."""
    mode: TeamMode | None = None
    """Execution mode."""
    last_run_name: str | None = None
    """Most recent ArkRun."""
    last_run_phase: Literal["Pending", "Running", "Succeeded", "Failed"] | None = None
    """Phase of the most recent ArkRun."""
    roles: Annotated[list[TeamRoleStatus], Crd(list_map_keys=("name",))] | None = None
    """Per-role readiness."""
    observed_generation: int | None = Field(default=None, ge=0)
    """The generation this status describes."""
    conditions: Conditions | None = None
    """``Ready``."""


class ArkTeam(ArkObject):
    """A team of agents run as a pipeline, by delegation from an entry role, or routed by capability."""

    info = KindInfo(
        plural="arkteams",
        printer_columns=(
            PrinterColumn("Mode", "string", ".status.mode", "Pipeline, Dynamic, Mixed or Routed"),
            PrinterColumn("Phase", "string", ".status.phase", "Pending, Ready or Degraded"),
            PrinterColumn("Entry", "string", ".spec.entry", "Role receiving tasks (dynamic mode)"),
            PrinterColumn("Last Run", "string", ".status.lastRunName", "Most recent ArkRun"),
            AGE_COLUMN,
        ),
    )

    kind: Literal["ArkTeam"] = "ArkTeam"
    spec: ArkTeamSpec
    """Desired state."""
    status: ArkTeamStatus | None = None
    """Observed state, written by the operator."""
