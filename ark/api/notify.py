"""ArkNotify: a notification policy for team runs and agent health/budget events.

Two spellings exist upstream. The recipe form (``channel``, ``events[]{type, template}``,
``rateLimiting``) is canonical; the docs form (``channels[]``, ``on[]``, ``rateLimitSeconds``)
is accepted and stored as written. :meth:`ArkNotifySpec.normalized` turns either into one
:class:`NotifyPolicy` in the recipe form's terms, which is all the notifier reads.
"""

from dataclasses import dataclass
from typing import Annotated, Literal, get_args

from pydantic import Field

from ark.api.base import ArkModel, CelRule, Crd, Time
from ark.api.meta import AGE_COLUMN, ArkObject, Conditions, KindInfo, PrinterColumn
from ark.api.shared import KeyRef

NotifyEventType = Literal[
    "TeamSucceeded", "TeamFailed", "TeamTimedOut", "BudgetExceeded", "DailyLimitReached", "AgentDegraded"
]
ALL_EVENT_TYPES: tuple[NotifyEventType, ...] = get_args(NotifyEventType)
DOCS_FORM_DEFAULT_RATE_LIMIT_SECONDS = 300

RECIPE_FIELDS = ("channel", "events", "rateLimiting")
DOCS_FIELDS = ("channels", "on", "rateLimitSeconds")


class SlackChannel(ArkModel):
    """A Slack incoming webhook."""

    crd_rules = (
        CelRule(
            "has(self.webhookUrlSecretRef) != has(self.webhookURLFrom)",
            "exactly one of webhookUrlSecretRef or webhookURLFrom must be set",
        ),
    )

    webhook_url_secret_ref: KeyRef | None = None
    """Secret key holding the incoming-webhook URL (recipe form)."""
    webhook_url_from: KeyRef | None = Field(
        default=None, validation_alias="webhookURLFrom", serialization_alias="webhookURLFrom"
    )
    """Secret key holding the incoming-webhook URL (docs form)."""

    @property
    def url_ref(self) -> KeyRef:
        """The Secret key holding the URL, whichever spelling was used."""
        ref = self.webhook_url_secret_ref or self.webhook_url_from
        if ref is None:
            raise ValueError("slack channel has no webhook URL reference")
        return ref


class WebhookHeader(ArkModel):
    """An extra request header read from a Secret."""

    name: str = Field(min_length=1)
    """Header name."""
    value_from: KeyRef
    """Secret key holding the value."""


class WebhookChannel(ArkModel):
    """A generic HTTP webhook."""

    url_from: KeyRef
    """Secret key holding the URL."""
    headers: list[WebhookHeader] | None = None
    """Extra headers from Secrets."""
    template: str | None = None
    """Body template (docs form variables: .Event, .TeamName, .RunName, .Message)."""


class NotifyChannel(ArkModel):
    """Where notifications go."""

    crd_rules = (
        CelRule(
            "self.type != 'slack' || has(self.slack)", "a slack channel needs slack", field_path=".slack"
        ),
        CelRule(
            "self.type != 'webhook' || has(self.webhook)",
            "a webhook channel needs webhook",
            field_path=".webhook",
        ),
    )

    type: Literal["slack", "webhook"]
    """Channel kind."""
    slack: SlackChannel | None = None
    """Slack settings."""
    webhook: WebhookChannel | None = None
    """Webhook settings."""


class NotifyEventRule(ArkModel):
    """An event to notify about, with the message template."""

    type: NotifyEventType
    """Event type."""
    template: str | None = None
    """Message template over .team, .run and .agent (Slack mrkdwn allowed)."""


class RateLimiting(ArkModel):
    """At most ``maxPerWindow`` notifications per (team or agent, event type) per window."""

    window_seconds: int = Field(ge=1)
    """Window length."""
    max_per_window: int = Field(ge=1)
    """Notifications allowed per window."""


@dataclass(frozen=True)
class NotifyPolicy:
    """An ArkNotify in the recipe form's terms, whichever form it was written in."""

    channels: tuple[NotifyChannel, ...]
    events: tuple[NotifyEventRule, ...]
    rate_limiting: RateLimiting | None
    form: Literal["recipe", "docs"]

    def rule(self, event: str) -> NotifyEventRule | None:
        """The rule for ``event``, or None when the policy does not notify about it."""
        return next((rule for rule in self.events if rule.type == event), None)


class ArkNotifySpec(ArkModel):
    """Desired state of an ArkNotify, in the recipe form or the docs form (not both)."""

    crd_rules = (
        CelRule(
            "!(has(self.channel) || has(self.events) || has(self.rateLimiting))"
            " || !(has(self.channels) || has(self.on) || has(self.rateLimitSeconds))",
            "use either the recipe form (channel, events, rateLimiting) or the docs form"
            " (channels, on, rateLimitSeconds), not both",
        ),
        CelRule(
            "has(self.channel) || (has(self.channels) && size(self.channels) > 0)",
            "a notification policy needs channel (or channels)",
            field_path=".channel",
        ),
    )

    channel: NotifyChannel | None = None
    """Recipe form: the channel."""
    events: Annotated[list[NotifyEventRule], Crd(list_map_keys=("type",))] | None = None
    """Recipe form: events to notify about and their message templates."""
    rate_limiting: RateLimiting | None = None
    """Recipe form: rate limit per (team or agent, event type)."""
    channels: list[NotifyChannel] | None = None
    """Docs form: channels."""
    on: list[NotifyEventType] | None = None
    """Docs form: events to send; omitted means all."""
    rate_limit_seconds: int | None = Field(default=None, ge=0)
    """Docs form: suppress repeats of a (team, event) pair for this long (default 300, 0 disables)."""

    @property
    def form(self) -> Literal["recipe", "docs"]:
        """Which spelling the policy is written in."""
        docs = self.channels is not None or self.on is not None or self.rate_limit_seconds is not None
        return "docs" if docs else "recipe"

    def normalized(self) -> NotifyPolicy:
        """The policy in the recipe form's terms."""
        if self.form == "recipe":
            return NotifyPolicy(
                channels=(self.channel,) if self.channel is not None else (),
                events=tuple(self.events or ()),
                rate_limiting=self.rate_limiting,
                form="recipe",
            )
        seconds = self.rate_limit_seconds
        if seconds is None:
            seconds = DOCS_FORM_DEFAULT_RATE_LIMIT_SECONDS
        wanted = self.on if self.on is not None else ALL_EVENT_TYPES
        return NotifyPolicy(
            channels=tuple(self.channels or ()),
            events=tuple(NotifyEventRule(type=event) for event in dict.fromkeys(wanted)),
            rate_limiting=RateLimiting(window_seconds=seconds, max_per_window=1) if seconds else None,
            form="docs",
        )


class RateLimitWindow(ArkModel):
    """The open rate-limit window of one (team or agent, event type) pair."""

    subject: str = Field(min_length=1)
    """``ArkTeam/<name>`` or ``ArkAgent/<name>``."""
    event: NotifyEventType
    """Event type."""
    start: Time
    """When the window opened (the first notification in it)."""
    count: int = Field(ge=0)
    """Notifications sent in the window."""


class ArkNotifyStatus(ArkModel):
    """Observed state of an ArkNotify."""

    sent_count: int | None = Field(default=None, ge=0)
    """Notifications delivered."""
    suppressed_count: int | None = Field(default=None, ge=0)
    """Notifications dropped by the rate limit."""
    failed_count: int | None = Field(default=None, ge=0)
    """Notifications that could not be delivered (the Delivered condition says why)."""
    notified: list[str] | None = None
    """Events already handled (sent, suppressed or failed), so each is sent once."""
    rate_limit_windows: list[RateLimitWindow] | None = None
    """Open rate-limit windows; kept here so that they survive an operator restart."""
    last_sent_at: Time | None = None
    """When the last notification was delivered."""
    observed_generation: int | None = Field(default=None, ge=0)
    """The generation this status describes."""
    conditions: Conditions | None = None
    """``Ready`` (the policy can send) and ``Delivered`` (the last delivery)."""


class ArkNotify(ArkObject):
    """A reusable notification policy attached by notifyRef on teams (run events) or agents."""

    info = KindInfo(
        plural="arknotifies",
        short_names=("anfy",),
        printer_columns=(
            PrinterColumn("Channel", "string", ".spec.channel.type", "Channel kind (recipe form)"),
            PrinterColumn("Sent", "integer", ".status.sentCount", "Notifications delivered"),
            PrinterColumn("Last Sent", "date", ".status.lastSentAt", "Last delivery"),
            AGE_COLUMN,
        ),
    )

    kind: Literal["ArkNotify"] = "ArkNotify"
    spec: ArkNotifySpec
    """Desired state."""
    status: ArkNotifyStatus | None = None
    """Observed state, written by the operator."""
