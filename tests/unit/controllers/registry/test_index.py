"""The capability index of a registry's namespace."""

from __future__ import annotations

from typing import Any

from ark.controllers.registry.index import capability_index


def _agent(name: str, *caps: dict[str, Any], team: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if team:
        meta["ownerReferences"] = [{"kind": "ArkTeam", "name": "t", "uid": "u", "controller": True}]
    return {"metadata": meta, "spec": {"capabilities": list(caps)}}


def test_capabilities_are_indexed_by_agent_then_id() -> None:
    agents = [
        _agent("sql", {"id": "sql", "description": "SQL", "tags": ["data"]}),
        _agent("k8s", {"id": "pods"}, {"id": "kubernetes", "tags": ["ops", 3]}),
        _agent("plain"),
    ]
    assert capability_index(agents, allow_cross_team=False) == [
        {"agent": "k8s", "id": "kubernetes", "tags": ["ops"]},
        {"agent": "k8s", "id": "pods"},
        {"agent": "sql", "id": "sql", "description": "SQL", "tags": ["data"]},
    ]


def test_agents_of_teams_are_indexed_only_across_teams() -> None:
    agents = [_agent("t-role", {"id": "x"}, team=True), _agent("free", {"id": "y"})]
    assert [e["agent"] for e in capability_index(agents, allow_cross_team=False)] == ["free"]
    assert [e["agent"] for e in capability_index(agents, allow_cross_team=True)] == ["free", "t-role"]


def test_broken_entries_and_deleted_agents_are_skipped() -> None:
    gone = _agent("gone", {"id": "z"})
    gone["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    odd = {"metadata": {"name": "odd"}, "spec": {"capabilities": [{"description": "no id"}, "x"]}}
    assert capability_index([gone, odd], allow_cross_team=True) == []
