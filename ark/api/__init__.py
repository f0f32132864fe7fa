"""The arkonis.dev/v1alpha1 API: pydantic models of every kind, the single source of truth.

Parse user documents with :func:`parse_object`, serialise with :func:`to_wire`; semantic checks
live in :mod:`ark.api.validation`, CRD generation in :mod:`ark.api.crdgen`.
"""

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
