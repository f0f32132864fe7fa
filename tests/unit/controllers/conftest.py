"""Builders for the pure ArkAgent controller modules."""

from __future__ import annotations

from typing import Any

from ark.api import ArkAgentSpec, ArkMemorySpec, ArkSettingsSpec
from ark.controllers.agent.deployment import AgentDefaults, AgentInputs
from ark.controllers.agent.prompt import ResolvedPrompt, resolve_prompt

DEFAULTS = AgentDefaults(image="ghcr.io/arkonis-dev/ark:1.2.3", task_queue_url="redis.ark-system.svc:6379")


def spec(**fields: Any) -> ArkAgentSpec:
    """An ArkAgentSpec from wire-form (camelCase) fields; model and prompt default to simple values."""
    fields.setdefault("model", "claude-sonnet-4-6")
    if "systemPromptRef" not in fields:
        fields.setdefault("systemPrompt", "You help.")
    return ArkAgentSpec.model_validate(fields, by_alias=True, by_name=False)


def settings(**fields: Any) -> ArkSettingsSpec:
    return ArkSettingsSpec.model_validate(fields, by_alias=True, by_name=False)


def memory(**fields: Any) -> ArkMemorySpec:
    return ArkMemorySpec.model_validate(fields, by_alias=True, by_name=False)


def inline_prompt(agent: ArkAgentSpec, agent_settings: ArkSettingsSpec | None = None) -> ResolvedPrompt:
    return resolve_prompt(agent, agent_settings, configmap=lambda _: None, secret=lambda _: None)


def inputs(
    agent: ArkAgentSpec | None = None,
    *,
    replicas: int | None = None,
    agent_settings: ArkSettingsSpec | None = None,
    agent_memory: ArkMemorySpec | None = None,
    prompt: ResolvedPrompt | None = None,
) -> AgentInputs:
    agent = agent or spec()
    return AgentInputs(
        name="web",
        namespace="team-a",
        uid="uid-1",
        spec=agent,
        prompt=prompt or inline_prompt(agent, agent_settings),
        replicas=agent.replicas if replicas is None else replicas,
        settings=agent_settings,
        memory=agent_memory,
    )
