"""The ``arkonis.dev`` resources the controllers read and write, and the labels they set."""

from __future__ import annotations

from ark.api import GROUP, VERSION, ArkAgent, ArkMemory, ArkSettings
from ark.kube.resources import Resource

ARK_AGENTS = Resource.custom(GROUP, VERSION, ArkAgent.info.plural, "ArkAgent")
ARK_SETTINGS = Resource.custom(GROUP, VERSION, ArkSettings.info.plural, "ArkSettings")
ARK_MEMORIES = Resource.custom(GROUP, VERSION, ArkMemory.info.plural, "ArkMemory")

FIELD_MANAGER = "ark-operator"
"""Field manager of every server-side apply the operator makes."""

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "ark"
"""Value of ``app.kubernetes.io/managed-by`` on everything the operator creates (reference §18 #13)."""
