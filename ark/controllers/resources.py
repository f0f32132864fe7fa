"""The ``arkonis.dev`` resources the controllers read and write, and the labels they set."""

from __future__ import annotations

from ark.api import GROUP, VERSION, ArkAgent, ArkMemory, ArkRegistry, ArkRun, ArkSettings, ArkTeam
from ark.kube.resources import Resource

ARK_AGENTS = Resource.custom(GROUP, VERSION, ArkAgent.info.plural, "ArkAgent")
ARK_SETTINGS = Resource.custom(GROUP, VERSION, ArkSettings.info.plural, "ArkSettings")
ARK_MEMORIES = Resource.custom(GROUP, VERSION, ArkMemory.info.plural, "ArkMemory")
ARK_TEAMS = Resource.custom(GROUP, VERSION, ArkTeam.info.plural, "ArkTeam")
ARK_RUNS = Resource.custom(GROUP, VERSION, ArkRun.info.plural, "ArkRun")
ARK_REGISTRIES = Resource.custom(GROUP, VERSION, ArkRegistry.info.plural, "ArkRegistry")

FIELD_MANAGER = "ark-operator"
"""Field manager of every server-side apply the operator makes."""

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "ark"
"""Value of ``app.kubernetes.io/managed-by`` on everything the operator creates (reference §18 #13)."""
