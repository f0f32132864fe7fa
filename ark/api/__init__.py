"""The arkonis.dev/v1alpha1 API: pydantic models of every kind, the single source of truth.

Parse user documents with :func:`parse_object`, serialise with :func:`to_wire`; semantic checks
live in :mod:`ark.api.validation`, CRD generation in :mod:`ark.api.crdgen`.

The names below are imported on first use (PEP 562): importing one kind's module, or a tool
such as :mod:`ark.api.source`, does not define the models of every other kind.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ark.api.agent import ArkAgent, ArkAgentSpec, ArkAgentStatus
    from ark.api.base import API_VERSION, GROUP, VERSION, ArkModel
    from ark.api.event import ArkEvent, ArkEventSpec, ArkEventStatus
    from ark.api.kinds import ALL_KINDS, KINDS, UnknownKindError, kind_name, parse_object, to_wire
    from ark.api.memory import ArkMemory, ArkMemorySpec, ArkMemoryStatus
    from ark.api.meta import ArkObject, Condition, ObjectMeta
    from ark.api.notify import ArkNotify, ArkNotifySpec, ArkNotifyStatus, NotifyPolicy
    from ark.api.registry import ArkRegistry, ArkRegistrySpec, ArkRegistryStatus
    from ark.api.run import ArkRun, ArkRunSpec, ArkRunStatus, StepStatus
    from ark.api.service import ArkService, ArkServiceSpec, ArkServiceStatus
    from ark.api.settings import ArkSettings, ArkSettingsSpec, ArkSettingsStatus
    from ark.api.team import ArkTeam, ArkTeamSpec, ArkTeamStatus, PipelineStep, TeamRole

_EXPORTS: dict[str, tuple[str, ...]] = {
    "ark.api.agent": ("ArkAgent", "ArkAgentSpec", "ArkAgentStatus"),
    "ark.api.base": ("API_VERSION", "GROUP", "VERSION", "ArkModel"),
    "ark.api.event": ("ArkEvent", "ArkEventSpec", "ArkEventStatus"),
    "ark.api.kinds": ("ALL_KINDS", "KINDS", "UnknownKindError", "kind_name", "parse_object", "to_wire"),
    "ark.api.memory": ("ArkMemory", "ArkMemorySpec", "ArkMemoryStatus"),
    "ark.api.meta": ("ArkObject", "Condition", "ObjectMeta"),
    "ark.api.notify": ("ArkNotify", "ArkNotifySpec", "ArkNotifyStatus", "NotifyPolicy"),
    "ark.api.registry": ("ArkRegistry", "ArkRegistrySpec", "ArkRegistryStatus"),
    "ark.api.run": ("ArkRun", "ArkRunSpec", "ArkRunStatus", "StepStatus"),
    "ark.api.service": ("ArkService", "ArkServiceSpec", "ArkServiceStatus"),
    "ark.api.settings": ("ArkSettings", "ArkSettingsSpec", "ArkSettingsStatus"),
    "ark.api.team": ("ArkTeam", "ArkTeamSpec", "ArkTeamStatus", "PipelineStep", "TeamRole"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "ALL_KINDS",
    "API_VERSION",
    "GROUP",
    "KINDS",
    "VERSION",
    "ArkAgent",
    "ArkAgentSpec",
    "ArkAgentStatus",
    "ArkEvent",
    "ArkEventSpec",
    "ArkEventStatus",
    "ArkMemory",
    "ArkMemorySpec",
    "ArkMemoryStatus",
    "ArkModel",
    "ArkNotify",
    "ArkNotifySpec",
    "ArkNotifyStatus",
    "ArkObject",
    "ArkRegistry",
    "ArkRegistrySpec",
    "ArkRegistryStatus",
    "ArkRun",
    "ArkRunSpec",
    "ArkRunStatus",
    "ArkService",
    "ArkServiceSpec",
    "ArkServiceStatus",
    "ArkSettings",
    "ArkSettingsSpec",
    "ArkSettingsStatus",
    "ArkTeam",
    "ArkTeamSpec",
    "ArkTeamStatus",
    "Condition",
    "NotifyPolicy",
    "ObjectMeta",
    "PipelineStep",
    "StepStatus",
    "TeamRole",
    "UnknownKindError",
    "kind_name",
    "parse_object",
    "to_wire",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULE_OF))
