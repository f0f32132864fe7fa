"""The ``arkonis.dev`` resources the controllers (and the ``ark`` command) read and write, and the
labels the operator sets."""

from __future__ import annotations

from ark.api import ALL_KINDS, GROUP, VERSION, kind_name
from ark.kube.resources import Resource

ARK: dict[str, Resource] = {
    kind_name(cls): Resource.custom(GROUP, VERSION, cls.info.plural, kind_name(cls)) for cls in ALL_KINDS
}
"""The ``arkonis.dev`` resources by kind."""
ARK_AGENTS = ARK["ArkAgent"]
ARK_SETTINGS = ARK["ArkSettings"]
ARK_MEMORIES = ARK["ArkMemory"]
ARK_TEAMS = ARK["ArkTeam"]
ARK_RUNS = ARK["ArkRun"]
ARK_REGISTRIES = ARK["ArkRegistry"]

FIELD_MANAGER = "ark-operator"
"""Field manager of every server-side apply the operator makes."""

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "ark"
"""Value of ``app.kubernetes.io/managed-by`` on everything the operator creates (reference §18 #13)."""
