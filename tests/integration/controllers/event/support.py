"""Helpers of the ArkEvent integration tests: create events, read their status and Events."""

from __future__ import annotations

from typing import Any

import yaml

from ark.controllers.event.controller import ARK_EVENTS
from ark.controllers.resources import ARK_RUNS
from ark.kube.client import KubeClient, NotFound
from ark.kube.conditions import get_condition
from ark.kube.resources import EVENTS
from tests.support.wait import wait_for

Obj = dict[str, Any]


async def apply_event(kube: KubeClient, namespace: str, text: str) -> Obj:
    """Create the ArkEvent written as YAML in ``namespace``."""
    event = yaml.safe_load(text)
    event.update(apiVersion="arkonis.dev/v1alpha1", kind="ArkEvent")
    event["metadata"]["namespace"] = namespace
    return await kube.create(ARK_EVENTS, event)


async def event_status(kube: KubeClient, namespace: str, name: str) -> Obj:
    """The event's status (empty before the operator wrote one)."""
    return dict((await kube.get(ARK_EVENTS, name, namespace)).get("status") or {})


async def get_run(kube: KubeClient, namespace: str, name: str) -> Obj | None:
    """The ArkRun, or None while it does not exist."""
    try:
        return await kube.get(ARK_RUNS, name, namespace)
    except NotFound:
        return None


async def event_reasons(kube: KubeClient, namespace: str, name: str) -> dict[str, str]:
    """The Kubernetes Events about ``name``: reason -> message."""
    events = await kube.list(EVENTS, namespace, field_selector=f"involvedObject.name={name}")
    return {e["reason"]: e["message"] for e in events["items"]}


async def fired(kube: KubeClient, namespace: str, name: str, count: int) -> Obj | None:
    """The status once ``firedCount`` is ``count``."""
    status = await event_status(kube, namespace, name)
    return status if status.get("firedCount") == count else None


async def with_reason(kube: KubeClient, namespace: str, name: str, reason: str) -> dict[str, str] | None:
    """The Events about ``name`` once one has ``reason``."""
    reasons = await event_reasons(kube, namespace, name)
    return reasons if reason in reasons else None


async def ready_reason(kube: KubeClient, namespace: str, name: str, reason: str, timeout: float = 30) -> Obj:
    """Wait for the event's ``Ready`` condition to have ``reason``; the condition."""

    async def found() -> Obj | None:
        status = await event_status(kube, namespace, name)
        ready = get_condition(status.get("conditions"), "Ready") or {}
        return ready if ready.get("reason") == reason else None

    return await wait_for(found, timeout=timeout, message=f"{name} Ready/{reason}")
