"""The agent pods' side of the Redis protocol, played by a test: read tasks, write results."""

from __future__ import annotations

import time
from typing import Any

import redis.asyncio as aioredis
import yaml

from ark.api.run import RunTrigger
from ark.controllers.resources import ARK_RUNS, ARK_TEAMS
from ark.kube.client import KubeClient, NotFound
from ark.runs.create import run_for_team
from ark_runtime.protocol import (
    RESULTS_GROUP,
    DelegationRequest,
    Result,
    Task,
    reply_stream,
    results_stream,
    tasks_stream,
)
from tests.support.wait import wait_for

Obj = dict[str, Any]


class Pods:
    """Reads the tasks the operator submits and answers them as an agent would."""

    def __init__(self, redis: aioredis.Redis, namespace: str) -> None:
        self.redis = redis
        self.namespace = namespace

    async def tasks(self, agent: str) -> list[Task]:
        """Every task on ``agent``'s stream, oldest first."""
        entries = await self.redis.xrange(tasks_stream(self.namespace, agent))
        return [Task.from_fields(fields) for _, fields in entries]

    async def task(
        self, agent: str, step: str, attempt: int = 1, timeout: float = 30, run: str | None = None
    ) -> Task:
        """Wait for the task of ``step`` (attempt ``attempt``; of run uid ``run``) on ``agent``'s stream."""

        def wanted(t: Task) -> bool:
            return t.step == step and t.attempt == attempt and run in (None, t.run)

        async def find() -> Task | None:
            return next((t for t in await self.tasks(agent) if wanted(t)), None)

        return await wait_for(find, timeout=timeout, message=f"task of step {step} on {agent}")

    async def answer(self, task: Task, output: str = "done", *, tokens: int = 5, error: str = "") -> Result:
        """Write a result for ``task`` where the operator reads it."""
        now = time.time_ns() // 1_000_000
        result = Result(
            id=task.id,
            run=task.run,
            step=task.step,
            status="error" if error else "ok",
            output="" if error else output,
            error=error,
            input_tokens=tokens,
            output_tokens=tokens,
            consumer="test-pod",
            started_ms=now,
            finished_ms=now,
        )
        await self.write(result.to_fields())
        return result

    async def write(self, fields: dict[str, str]) -> None:
        """XADD any entry to the namespace's results stream."""
        await self.redis.xadd(results_stream(self.namespace), fields)  # type: ignore[arg-type]

    async def delegate(self, parent: Task, role: str, prompt: str, ident: str) -> DelegationRequest:
        """What the runtime's delegate() sends."""
        request = DelegationRequest(
            id=ident,
            run=parent.run,
            parent=parent.id,
            role=role,
            prompt=prompt,
            reply_to=reply_stream(self.namespace, parent.id),
        )
        await self.write(request.to_fields())
        return request

    async def reply(self, request: DelegationRequest, timeout: float = 30) -> Result:
        """Wait for the operator's answer to ``request``."""

        async def find() -> Result | None:
            for _, fields in await self.redis.xrange(request.reply_to):
                if fields.get("id") == request.id:
                    return Result.from_fields(fields)
            return None

        return await wait_for(find, timeout=timeout, message=f"the answer to {request.id}")

    async def leftovers(self) -> tuple[int, int]:
        """(entries the operator read but did not acknowledge, entries still in the results stream)."""
        stream = results_stream(self.namespace)
        pending = await self.redis.xpending(stream, RESULTS_GROUP)
        return int(pending["pending"]), int(await self.redis.xlen(stream))


async def apply_team(kube: KubeClient, namespace: str, text: str) -> Obj:
    """Create the ArkTeam written as YAML (``metadata.name`` included) in ``namespace``."""
    team = yaml.safe_load(text)
    team.setdefault("apiVersion", "arkonis.dev/v1alpha1")
    team.setdefault("kind", "ArkTeam")
    team["metadata"]["namespace"] = namespace
    return await kube.create(ARK_TEAMS, team)


async def trigger(kube: KubeClient, namespace: str, team: str, **inputs: str) -> str:
    """Create a run of ``team`` as ``ark trigger`` does; returns its name."""
    obj = await kube.get(ARK_TEAMS, team, namespace)
    created = await kube.create(
        ARK_RUNS, run_for_team(obj, inputs, RunTrigger(type="manual", source="test")).body
    )
    return str(created["metadata"]["name"])


async def run_status(kube: KubeClient, namespace: str, name: str) -> Obj:
    """The run's status (empty before the operator wrote one)."""
    try:
        run = await kube.get(ARK_RUNS, name, namespace)
    except NotFound:
        return {}
    return dict(run.get("status") or {})


async def finished(kube: KubeClient, namespace: str, name: str, timeout: float = 60) -> Obj:
    """Wait for the run to be Succeeded or Failed; its status."""

    async def done() -> Obj | None:
        status = await run_status(kube, namespace, name)
        return status if status.get("phase") in ("Succeeded", "Failed") else None

    return await wait_for(done, timeout=timeout, message=f"run {name} to finish")


async def run_snapshot(kube: KubeClient, namespace: str, name: str, snapshot: dict[str, object]) -> Obj:
    """Create an ArkRun whose snapshot was written by hand (no such team) and return its final status."""
    body = {
        "apiVersion": "arkonis.dev/v1alpha1",
        "kind": "ArkRun",
        "metadata": {"name": name},
        "spec": {"teamRef": {"name": "whatever"}, "teamSpec": snapshot},
    }
    await kube.create(ARK_RUNS, body, namespace)
    return await finished(kube, namespace, name)


def step(status: Obj, name: str) -> Obj:
    """One step of a status."""
    return next(s for s in status.get("steps") or () if s["name"] == name)
