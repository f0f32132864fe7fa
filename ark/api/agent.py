"""ArkAgent: a pool of identical LLM agent workers, backed by a Deployment."""

from typing import Literal

from pydantic import Field

from ark.api.base import ArkModel, CelRule
from ark.api.meta import AGE_COLUMN, ArkObject, Conditions, KindInfo, PrinterColumn
from ark.api.shared import AgentFields, TokenUsage

PROMPT_RULE = CelRule(
    "has(self.systemPrompt) || has(self.systemPromptRef)",
    "at least one of systemPrompt or systemPromptRef must be set",
    field_path=".systemPrompt",
)


class ArkAgentSpec(AgentFields):
    """Desired state of an ArkAgent."""

    crd_rules = (PROMPT_RULE,)

    model: str = Field(min_length=1)
    """Model ID handed to the provider; also selects the provider when none is configured."""
    replicas: int = Field(default=1, ge=0, le=50)
    """Number of agent pods (the scale subresource)."""


class ArkAgentStatus(ArkModel):
    """Observed state of an ArkAgent."""

    replicas: int | None = Field(default=None, ge=0)
    """Pods of the backing Deployment."""
    ready_replicas: int | None = Field(default=None, ge=0)
    """Ready pods."""
    selector: str | None = None
    """Label selector of the agent pods (for the scale subresource and autoscalers)."""
    daily_token_usage: TokenUsage | None = None
    """Rolling 24 h token usage; set when limits.maxDailyTokens is."""
    daily_tokens_used: int | None = Field(default=None, ge=0)
    """Total tokens of the rolling 24 h window (used by notification templates)."""
    budget_resets_in_minutes: int | None = Field(default=None, ge=0)
    """Minutes until the oldest usage leaves the 24 h window."""
    observed_generation: int | None = Field(default=None, ge=0)
    """The generation this status describes."""
    conditions: Conditions | None = None
    """``Ready`` and ``BudgetExceeded``."""


class ArkAgent(ArkObject):
    """A pool of identical LLM agent workers (same model, prompt and tools)."""

    info = KindInfo(
        plural="arkagents",
        printer_columns=(
            PrinterColumn("Model", "string", ".spec.model", "Model ID"),
            PrinterColumn("Replicas", "integer", ".spec.replicas", "Desired agent pods"),
            PrinterColumn("Ready", "integer", ".status.readyReplicas", "Ready agent pods"),
            PrinterColumn(
                "Tokens(24h)", "integer", ".status.dailyTokenUsage.totalTokens", "Tokens used in 24 h"
            ),
            AGE_COLUMN,
        ),
        scale=True,
    )

    kind: Literal["ArkAgent"] = "ArkAgent"
    spec: ArkAgentSpec
    """Desired state."""
    status: ArkAgentStatus | None = None
    """Observed state, written by the operator."""
