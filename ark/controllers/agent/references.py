"""Indexes of ArkAgents by what they reference, so a change to a ConfigMap, Secret, ArkSettings
or ArkMemory enqueues exactly the agents that read it (and a missing one, once it appears).

Index values are ``namespace/name`` keys of the referenced object. The functions read the raw
spec (as cached) and tolerate any shape, since they run on every cached object.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]

CONFIGMAP_INDEX = "ark-configmap-refs"
SECRET_INDEX = "ark-secret-refs"
SETTINGS_INDEX = "ark-settings-refs"
MEMORY_INDEX = "ark-memory-refs"


def _spec(obj: Obj) -> Obj:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def _key(obj: Obj, name: object) -> list[str]:
    namespace = obj.get("metadata", {}).get("namespace")
    return [f"{namespace}/{name}"] if isinstance(name, str) and name and namespace else []


def _prompt_ref(obj: Obj, field: str) -> list[str]:
    ref = _spec(obj).get("systemPromptRef")
    selector = ref.get(field) if isinstance(ref, dict) else None
    return _key(obj, selector.get("name")) if isinstance(selector, dict) else []


def configmap_refs(obj: Obj) -> list[str]:
    """The ConfigMap holding the agent's prompt."""
    return _prompt_ref(obj, "configMapKeyRef")


def secret_refs(obj: Obj) -> list[str]:
    """The Secret holding the agent's prompt."""
    return _prompt_ref(obj, "secretKeyRef")


def settings_refs(obj: Obj) -> list[str]:
    """The ArkSettings of ``configRef`` (``{name}`` or the older bare-string form)."""
    ref = _spec(obj).get("configRef")
    return _key(obj, ref.get("name") if isinstance(ref, dict) else ref)


def memory_refs(obj: Obj) -> list[str]:
    """The ArkMemory of ``memoryRef``."""
    ref = _spec(obj).get("memoryRef")
    return _key(obj, ref.get("name")) if isinstance(ref, dict) else []


INDEXERS = {
    CONFIGMAP_INDEX: configmap_refs,
    SECRET_INDEX: secret_refs,
    SETTINGS_INDEX: settings_refs,
    MEMORY_INDEX: memory_refs,
}


def data_changed(old: Obj, new: Obj) -> bool:
    """Update filter for ConfigMaps and Secrets: only content changes matter to agents."""
    return old is new or old.get("data") != new.get("data") or old.get("binaryData") != new.get("binaryData")
