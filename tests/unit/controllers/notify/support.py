"""Objects for the pure ArkNotify modules, in wire form."""

from __future__ import annotations

from typing import Any

from ark.api import ArkNotifySpec, NotifyPolicy

Obj = dict[str, Any]
CREATED = "2026-12-03T10:00:00Z"


def run(
    name: str = "blog-x4kpz", phase: str | None = "Succeeded", reason: str | None = None, **status: Any
) -> Obj:
    conditions = [{"type": "Ready", "status": "False", "reason": reason}] if reason else []
    return {
        "metadata": {"name": name, "namespace": "ns", "uid": f"uid-{name}", "creationTimestamp": CREATED},
        "spec": {"teamRef": {"name": "blog"}, "input": {"topic": "owls"}},
        "status": {
            "phase": phase,
            "completionTime": "2026-12-03T10:05:00Z",
            "conditions": conditions,
            **status,
        },
    }


def team(name: str = "blog", conditions: list[Obj] | None = None, **spec: Any) -> Obj:
    return {
        "metadata": {"name": name, "namespace": "ns", "creationTimestamp": CREATED},
        "spec": {"notifyRef": {"name": "ops"}, **spec},
        "status": {"conditions": conditions or []},
    }


def agent(
    name: str = "writer", conditions: list[Obj] | None = None, replicas: int = 1, ready: int = 1
) -> Obj:
    return {
        "metadata": {"name": name, "namespace": "ns", "creationTimestamp": CREATED},
        "spec": {"replicas": replicas, "notifyRef": {"name": "ops"}},
        "status": {"readyReplicas": ready, "conditions": conditions or []},
    }


def policy(**fields: Any) -> NotifyPolicy:
    return ArkNotifySpec.model_validate(fields, by_alias=True, by_name=False).normalized()


SLACK = {"type": "slack", "slack": {"webhookUrlSecretRef": {"name": "s", "key": "url"}}}
