"""The ArkMemory controller: ``Ready`` says whether the backend answers, and why not.

Interface::

    controller = setup_memory_controller(manager, MemoryOptions(namespaces, workers), redis=redis)

One reconcile reads the ArkMemory and its Secret from the informer caches, then either knows the
answer from them (:func:`~.check.plan_check`) or reaches the backend (:func:`~.reach.reach`, at
most 5 s). The ``Ready`` condition's reason names what failed (``SecretNotFound``,
``SecretKeyMissing``, ``InvalidRedisUrl``, ``InvalidEndpoint``, ``UnsupportedProvider``,
``Unreachable``, ``Unauthorized``, ``BadResponse``) or ``Reachable`` / ``InContext``; the status is
written only when it changes, and every change of ``(status, reason)`` is an Event. A failure is
checked again with backoff, a working backend every 5 minutes; a change of the ArkMemory or of
its Secret checks at once. With the task queue's ``redis``, what the agent pods report of their
own memory calls (:mod:`.reports`) also counts: a backend that answers the operator but fails the
pods (a collection of another dimension) is ``Ready=False`` with the pods' reason, checked again
at each report. Agents using the memory roll on their own when it changes (the agent
controller's memory-hash annotation).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ark.api import API_VERSION, ArkMemorySpec
from ark.controllers.agent.references import data_changed
from ark.controllers.cache import Cache
from ark.controllers.memory.check import Target, Verdict, plan_check, recheck_after
from ark.controllers.memory.reach import reach
from ark.controllers.memory.reports import follow_reports, read_reports, reported_verdict
from ark.controllers.memory.secret import raw_secret_name, secret_ref
from ark.controllers.resources import ARK_MEMORIES, FIELD_MANAGER
from ark.kube.client import KubeClient, NotFound
from ark.kube.conditions import get_condition, set_condition
from ark.kube.controller import Controller, Result, generation_changed
from ark.kube.events import EventRecorder
from ark.kube.manager import Manager
from ark.kube.resources import SECRETS
from ark.kube.store import object_key, split_key

Obj = dict[str, Any]


@dataclass(frozen=True)
class MemoryOptions:
    """How the ArkMemory controller runs."""

    namespaces: Sequence[str] = ()
    workers: int = 2
    check_timeout: float = 5.0


class MemoryReconciler:
    """Checks one ArkMemory's backend and reports it."""

    def __init__(
        self,
        client: KubeClient,
        *,
        memories: Cache,
        secrets: Cache,
        recorder: EventRecorder,
        check_timeout: float = 5.0,
        redis: Any = None,
    ) -> None:
        self.client = client
        self.redis = redis
        self.memories = memories
        self.secrets = secrets
        self.recorder = recorder
        self.check_timeout = check_timeout
        self._failures: dict[str, int] = {}
        self._written: dict[str, tuple[str, Obj]] = {}

    async def reconcile(self, key: str) -> Result | None:
        """Check the backend of ArkMemory ``key`` and write ``Ready``."""
        namespace, name = split_key(key)
        assert namespace is not None
        memory = self.memories.get(namespace, name)
        if memory is None:
            self._failures.pop(key, None)
            self._written.pop(key, None)
            return None
        verdict = await self._verdict(namespace, memory)
        failures = 0 if verdict.ready else self._failures.get(key, 0) + 1
        self._failures[key] = failures
        await self._report(key, memory, verdict)
        delay = recheck_after(verdict, failures)
        return Result(requeue_after=delay) if delay is not None else None

    async def _verdict(self, namespace: str, memory: Obj) -> Verdict:
        try:
            spec = ArkMemorySpec.model_validate(memory.get("spec") or {}, by_alias=True, by_name=False)
        except ValidationError as exc:
            error = exc.errors()[0]
            path = ".".join(str(p) for p in error["loc"])
            return Verdict(False, "InvalidSpec", f"spec.{path}: {error['msg']}", retry=False)
        ref = secret_ref(spec)
        secret = self.secrets.get(namespace, ref[0]) if ref is not None else None
        planned = plan_check(spec, secret)
        verdict = await reach(planned, self.check_timeout) if isinstance(planned, Target) else planned
        if not verdict.ready or self.redis is None:
            return verdict
        name = memory["metadata"]["name"]
        return reported_verdict(await read_reports(self.redis, namespace, name)) or verdict

    async def _report(self, key: str, memory: Obj, verdict: Verdict) -> None:
        namespace, name = split_key(key)
        meta = memory["metadata"]
        current = memory.get("status") or {}
        written = self._written.get(key)
        if written is not None and written[0] == meta.get("resourceVersion"):
            current = written[1]
        generation = int(meta.get("generation") or 1)
        conditions = [dict(c) for c in current.get("conditions") or ()]
        before = dict(get_condition(conditions, "Ready") or {})  # set_condition updates it in place
        status = "True" if verdict.ready else "False"
        now = datetime.datetime.now(datetime.UTC)
        set_condition(
            conditions,
            "Ready",
            status,
            verdict.reason,
            verdict.message,
            observed_generation=generation,
            now=now,
        )
        if (before.get("status"), before.get("reason")) != (status, verdict.reason):
            kind = "Normal" if verdict.ready else "Warning"
            self.recorder.event(memory, kind, verdict.reason, verdict.message)
        body_status = {"observedGeneration": generation, "conditions": conditions}
        if current.get("observedGeneration") == generation and current.get("conditions") == conditions:
            return
        body = {
            "apiVersion": API_VERSION,
            "kind": "ArkMemory",
            "metadata": {"name": name, "namespace": namespace},
            "status": body_status,
        }
        try:
            await self.client.apply(
                ARK_MEMORIES, body, field_manager=FIELD_MANAGER, force=True, subresource="status"
            )
        except NotFound:
            return
        self._written[key] = (str(meta.get("resourceVersion")), body_status)


def setup_memory_controller(manager: Manager, options: MemoryOptions, *, redis: Any = None) -> Controller:
    """Create the caches and controller for ArkMemories and add them to ``manager``; with the task
    queue's ``redis``, the agent pods' reports count and are followed."""
    factory = manager.informers
    namespaces = list(options.namespaces)
    memories = Cache(factory, ARK_MEMORIES, namespaces)
    secrets = Cache(factory, SECRETS, namespaces)
    reconciler = MemoryReconciler(
        manager.client,
        memories=memories,
        secrets=secrets,
        recorder=manager.event_recorder(FIELD_MANAGER),
        check_timeout=options.check_timeout,
        redis=redis,
    )
    controller = Controller(
        "arkmemory", reconciler.reconcile, workers=options.workers, metrics=manager.metrics
    )

    def memories_of(secret: Obj) -> list[str]:
        meta = secret.get("metadata", {})
        return [
            object_key(m)
            for m in memories.in_namespace(meta.get("namespace", ""))
            if raw_secret_name(m) == meta.get("name")
        ]

    for informer in memories.informers.values():
        controller.watch(informer, update_filter=generation_changed)
    for informer in secrets.informers.values():
        controller.watch_mapped(informer, memories_of, update_filter=data_changed)
    manager.add_controller(controller)
    if redis is not None:

        def every_memory() -> None:
            for informer in memories.informers.values():
                for obj in informer.store.list():
                    controller.enqueue(object_key(obj))

        manager.add_runnable(lambda: follow_reports(redis, controller.enqueue, every_memory))
    return controller
