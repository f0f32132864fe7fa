"""Index functions mapping an ArkAgent to the objects it references."""

from __future__ import annotations

from typing import Any

from ark.controllers.agent.references import (
    configmap_refs,
    data_changed,
    memory_refs,
    secret_refs,
    settings_refs,
)


def agent(spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "a", "namespace": "ns"}, "spec": spec}


def test_prompt_references() -> None:
    by_cm = agent({"systemPromptRef": {"configMapKeyRef": {"name": "p", "key": "k"}}})
    by_secret = agent({"systemPromptRef": {"secretKeyRef": {"name": "s", "key": "k"}}})
    assert (configmap_refs(by_cm), secret_refs(by_cm)) == (["ns/p"], [])
    assert (configmap_refs(by_secret), secret_refs(by_secret)) == ([], ["ns/s"])
    assert configmap_refs(agent({"systemPrompt": "inline"})) == []


def test_settings_reference_in_both_forms_and_memory() -> None:
    assert settings_refs(agent({"configRef": {"name": "style"}})) == ["ns/style"]
    assert settings_refs(agent({"configRef": "style"})) == ["ns/style"]
    assert memory_refs(agent({"memoryRef": {"name": "mem"}})) == ["ns/mem"]
    assert settings_refs(agent({})) == memory_refs(agent({})) == []


def test_odd_shapes_index_nothing() -> None:
    for spec in (
        None,
        "text",
        {"systemPromptRef": "x"},
        {"systemPromptRef": {"configMapKeyRef": "x"}},
        {"configRef": 3},
    ):
        obj = agent(spec)
        assert configmap_refs(obj) == secret_refs(obj) == settings_refs(obj) == memory_refs(obj) == []


def test_only_content_changes_of_configmaps_and_secrets_matter() -> None:
    old = {"metadata": {"resourceVersion": "1", "labels": {}}, "data": {"k": "v"}}
    relabelled = {"metadata": {"resourceVersion": "2", "labels": {"x": "y"}}, "data": {"k": "v"}}
    edited = {"metadata": {"resourceVersion": "3"}, "data": {"k": "w"}}
    assert not data_changed(old, relabelled)
    assert data_changed(old, edited)
    assert data_changed(old, {**old, "binaryData": {"b": "AA=="}})
