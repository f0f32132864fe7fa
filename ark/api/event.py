"""ArkEvent: starts ArkTeam runs from a cron schedule, a webhook, or another team finishing."""

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from ark.api.base import ArkModel, CelRule, Crd, Time
from ark.api.meta import AGE_COLUMN, ArkObject, Conditions, KindInfo, PrinterColumn
from ark.api.shared import ObjectName

LEGACY_SOURCE_TYPES = {"pipeline-output": "team-output", "flow-output": "team-output"}


def _source_type(value: object) -> object:
    # ArkFlow-era names of the team-output source.
    return LEGACY_SOURCE_TYPES.get(value, value) if isinstance(value, str) else value


SourceType = Annotated[
    Literal["webhook", "cron", "team-output"],
    BeforeValidator(_source_type),
    Crd(enum_extra=tuple(LEGACY_SOURCE_TYPES)),
]


class TeamOutputSource(ArkModel):
    """Fire when another team's run finishes."""

    name: ObjectName
    """Upstream ArkTeam in the same namespace."""
    on_phase: Literal["Succeeded", "Failed", "*"] = "Succeeded"
    """Run phase that fires: Succeeded, Failed or * (any terminal phase)."""


class EventSource(ArkModel):
    """What fires the event."""

    crd_rules = (
        CelRule("self.type != 'cron' || has(self.cron)", "a cron source needs cron", field_path=".cron"),
        CelRule(
            "!(self.type in ['team-output', 'pipeline-output', 'flow-output']) || has(self.teamOutput)",
            "a team-output source needs teamOutput",
            field_path=".teamOutput",
        ),
    )

    type: SourceType
    """webhook, cron or team-output (older names pipeline-output and flow-output are accepted)."""
    cron: str | None = Field(default=None, min_length=1)
    """Five-field cron expression in UTC, or a descriptor such as @hourly."""
    team_output: TeamOutputSource | None = None
    """The upstream team of a team-output source."""


class EventTarget(ArkModel):
    """A team to start when the event fires."""

    legacy_aliases = {"pipeline": "team"}

    team: ObjectName
    """ArkTeam to run (older name: pipeline)."""
    input: dict[str, str] | None = None
    """Run input; values are templates over ``.trigger`` (name, firedAt, body, output)."""


class ArkEventSpec(ArkModel):
    """Desired state of an ArkEvent."""

    source: EventSource
    """What fires the event."""
    targets: list[EventTarget] = Field(min_length=1)
    """Teams started, in parallel, each time the event fires."""
    concurrency_policy: Literal["Allow", "Forbid"] = "Allow"
    """Forbid skips a fire while a run created by this event is still running."""
    suspended: bool = False
    """Pause the event (webhooks answer 503)."""


class ArkEventStatus(ArkModel):
    """Observed state of an ArkEvent."""

    webhook_url: str | None = Field(
        default=None, validation_alias="webhookURL", serialization_alias="webhookURL"
    )
    """URL to POST to (webhook sources)."""
    last_fired_at: Time | None = None
    """When the event last fired."""
    next_fire_at: Time | None = None
    """Next scheduled fire (cron sources)."""
    fired_count: int | None = Field(default=None, ge=0)
    """How many times the event fired."""
    observed_generation: int | None = Field(default=None, ge=0)
    """The generation this status describes."""
    conditions: Conditions | None = None
    """``Ready``."""


class ArkEvent(ArkObject):
    """Starts ArkTeam runs from a cron schedule, a webhook, or another team's run finishing."""

    info = KindInfo(
        plural="arkevents",
        printer_columns=(
            PrinterColumn("Type", "string", ".spec.source.type", "webhook, cron or team-output"),
            PrinterColumn("Suspended", "boolean", ".spec.suspended", "Whether the event is paused"),
            PrinterColumn("Fired", "integer", ".status.firedCount", "Times fired"),
            PrinterColumn("Last Fired", "date", ".status.lastFiredAt", "Last fire"),
            # A string, not a date: kubectl renders future dates as "<invalid>".
            PrinterColumn("Next Fire", "string", ".status.nextFireAt", "Next scheduled fire (UTC)"),
            AGE_COLUMN,
        ),
    )

    kind: Literal["ArkEvent"] = "ArkEvent"
    spec: ArkEventSpec
    """Desired state."""
    status: ArkEventStatus | None = None
    """Observed state, written by the operator."""
