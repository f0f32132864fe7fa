"""An ArkRegistry's capability index (reference §9). Pure, no I/O.

The index is every ``spec.capabilities`` entry of the ArkAgents in the registry's namespace,
sorted by agent then capability id. Without ``policy.allowCrossTeam``, agents a team owns (the
ones generated for inline roles) are left out: routing then only picks standalone agents.

Interface::

    entries = capability_index(agents, allow_cross_team=False)   # [{agent, id, description, tags}]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Obj = dict[str, Any]


def owned_by_team(agent: Obj) -> bool:
    """True for an agent an ArkTeam controls (generated for an inline role)."""
    return any(
        ref.get("kind") == "ArkTeam" and ref.get("controller")
        for ref in agent.get("metadata", {}).get("ownerReferences") or ()
    )


def capability_index(agents: Iterable[Obj], *, allow_cross_team: bool) -> list[Obj]:
    """The index entries, in wire form."""
    entries: list[Obj] = []
    for agent in agents:
        if agent.get("metadata", {}).get("deletionTimestamp"):
            continue
        if not allow_cross_team and owned_by_team(agent):
            continue
        capabilities = (agent.get("spec") or {}).get("capabilities")
        for capability in capabilities if isinstance(capabilities, list) else ():
            if not isinstance(capability, dict) or not isinstance(capability.get("id"), str):
                continue
            entry: Obj = {"agent": agent["metadata"]["name"], "id": capability["id"]}
            if isinstance(capability.get("description"), str):
                entry["description"] = capability["description"]
            if isinstance(capability.get("tags"), list):
                entry["tags"] = [t for t in capability["tags"] if isinstance(t, str)]
            entries.append(entry)
    entries.sort(key=lambda e: (e["agent"], e["id"]))
    return entries
