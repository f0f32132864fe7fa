"""``delegate()`` in a pod: submit the sub-task to the target role's stream and wait for its reply.

The sub-task's id is derived from the parent's id, the role and the prompt, and its result goes
to the parent's reply stream (``ark:replies:{ns}:{parent}``). So when a crashed parent task is
run again, an identical delegation is not submitted twice and finds the answer already there.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping

import redis.asyncio as aioredis

from ark_runtime.protocol import (
    DEFAULT_MAX_RESULT_BYTES,
    ProtocolError,
    Result,
    Task,
    reply_stream,
    tasks_stream,
)
from ark_runtime.queue.connection import Backoff, is_outage, stream_entries
from ark_runtime.queue.submit import Submitter
from ark_runtime.tools.delegate import DelegationError, child_path

_POLL_BLOCK_MS = 1000


def route_stream(namespace: str, target: str) -> str:
    """Stream for an ``AGENT_TEAM_ROUTES`` value: a stream key as is, else an agent name."""
    return target if target.startswith("ark:") else tasks_stream(namespace, target)


def child_task_id(parent: Task, role: str, prompt: str) -> str:
    """Deterministic id of the sub-task ``parent`` delegates to ``role`` with ``prompt``."""
    digest = hashlib.sha256(prompt.encode()).hexdigest()[:12]
    return f"{parent.id}/{role}.{digest}"


class RedisDelegator:
    """A :data:`~ark_runtime.tools.delegate.DelegateFn` over Redis Streams."""

    def __init__(
        self,
        redis: aioredis.Redis,
        namespace: str,
        routes: Mapping[str, str],
        timeout_seconds: float,
        max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES,
    ) -> None:
        self.redis = redis
        self.max_result_bytes = max_result_bytes
        self.namespace = namespace
        self.routes = dict(routes)
        self.timeout_seconds = timeout_seconds
        self._submitter = Submitter(redis)

    async def __call__(self, role: str, prompt: str, parent: Task) -> str:
        """Submit the sub-task, wait for its result until the parent's deadline, return its output."""
        if role not in self.routes:
            raise DelegationError(f"no queue is known for role {role!r} (AGENT_TEAM_ROUTES)")
        deadline_s = parent.deadline_ms / 1000 if parent.deadline_ms else time.time() + self.timeout_seconds
        reply_to = reply_stream(self.namespace, parent.id)
        child = Task(
            id=child_task_id(parent, role, prompt),
            run=parent.run,
            step=role,
            prompt=prompt,
            kind="delegate",
            deadline_ms=int(deadline_s * 1000),
            reply_to=reply_to,
            parent=parent.id,
            path=child_path(parent, role),
        )
        await self._submitter.submit(route_stream(self.namespace, self.routes[role]), child)
        result = await self._wait(reply_to, child.id, deadline_s)
        if result.status == "error":
            raise DelegationError(result.error or "the sub-task failed")
        return result.output

    async def _wait(self, stream: str, child_id: str, deadline_s: float) -> Result:
        cursor = "0"
        backoff = Backoff()
        while True:
            remaining_ms = int((deadline_s - time.time()) * 1000)
            if remaining_ms <= 0:
                raise DelegationError("no answer before the task deadline")
            try:
                response = await self.redis.xread({stream: cursor}, block=min(_POLL_BLOCK_MS, remaining_ms))
            except Exception as exc:
                if not is_outage(exc):
                    raise
                await backoff.wait()
                continue
            backoff.reset()
            for entry_id, fields in stream_entries(response):
                cursor = entry_id
                if fields.get("id") == child_id:
                    return self._checked(fields)

    def _checked(self, fields: dict[str, str]) -> Result:
        # Another agent wrote this entry: read it within the same bounds as our own results.
        try:
            result = Result.from_fields(fields)
        except ProtocolError as exc:
            raise DelegationError(f"the sub-task's result entry is malformed: {exc}") from None
        oversize = result.oversize(self.max_result_bytes)
        if oversize:
            raise DelegationError(f"the sub-task's result was refused: {oversize.split(';')[0]}")
        return result
