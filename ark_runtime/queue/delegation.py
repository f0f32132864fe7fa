"""``delegate()`` in a pod: ask the operator for a child step and wait for its answer.

The call becomes a :class:`~ark_runtime.protocol.DelegationRequest` on the namespace's results
stream; the operator's run engine checks it (``canDelegate``, loops, depth, budget), records the
child step in the ArkRun and submits its task, then writes the child's result (or the refusal)
to the parent task's reply stream (``ark:replies:{ns}:{parent}``) under the request's id.

The request id is derived from the parent's id, the role and the prompt. So a crashed parent task
that runs again and makes the same call finds the answer already waiting (it reads the reply
stream first and sends nothing), and an answer still to come is not asked for twice.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import redis.asyncio as aioredis

from ark_runtime.protocol import (
    DEFAULT_MAX_RESULT_BYTES,
    DelegationRequest,
    ProtocolError,
    Result,
    Task,
    reply_stream,
    results_stream,
)
from ark_runtime.queue.connection import Backoff, is_outage, stream_entries
from ark_runtime.telemetry import inject_context
from ark_runtime.tools.delegate import DelegationError

_POLL_BLOCK_MS = 1000
T = TypeVar("T")


def child_task_id(parent: Task, role: str, prompt: str) -> str:
    """Deterministic id of the call ``parent`` makes to ``role`` with ``prompt``."""
    digest = hashlib.sha256(prompt.encode()).hexdigest()[:12]
    return f"{parent.id}/{role}.{digest}"


class RedisDelegator:
    """A :data:`~ark_runtime.tools.delegate.DelegateFn` over Redis Streams, through the operator.

    ``routes`` (``AGENT_TEAM_ROUTES``) names the roles this agent may delegate to.
    """

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

    async def __call__(self, role: str, prompt: str, parent: Task) -> str:
        """Ask for the child step, wait for its result until the parent's deadline, return its output."""
        if role not in self.routes:
            raise DelegationError(f"no queue is known for role {role!r} (AGENT_TEAM_ROUTES)")
        deadline_s = parent.deadline_ms / 1000 if parent.deadline_ms else time.time() + self.timeout_seconds
        traceparent, tracestate = inject_context()
        request = DelegationRequest(
            id=child_task_id(parent, role, prompt),
            run=parent.run,
            parent=parent.id,
            role=role,
            prompt=prompt,
            reply_to=reply_stream(self.namespace, parent.id),
            traceparent=traceparent,
            tracestate=tracestate,
        )
        result = await self._answered(request)
        if result is None:
            stream = results_stream(self.namespace)
            await _retrying(lambda: self.redis.xadd(stream, request.to_fields()))  # type: ignore[arg-type]
            result = await self._wait(request, deadline_s)
        if result.status == "error":
            raise DelegationError(result.error or "the sub-task failed")
        return result.output

    async def _answered(self, request: DelegationRequest) -> Result | None:
        """The answer already on the reply stream (the same call made before a crash), if any."""
        entries: Any = await _retrying(lambda: self.redis.xrange(request.reply_to))
        for _, fields in entries or ():
            if fields and fields.get("id") == request.id:
                return self._checked(fields)
        return None

    async def _wait(self, request: DelegationRequest, deadline_s: float) -> Result:
        cursor = "0"
        backoff = Backoff()
        while True:
            remaining_ms = int((deadline_s - time.time()) * 1000)
            if remaining_ms <= 0:
                raise DelegationError("no answer before the task deadline")
            try:
                response = await self.redis.xread(
                    {request.reply_to: cursor}, block=min(_POLL_BLOCK_MS, remaining_ms)
                )
            except Exception as exc:
                if not is_outage(exc):
                    raise
                await backoff.wait()
                continue
            backoff.reset()
            for entry_id, fields in stream_entries(response):
                cursor = entry_id
                if fields.get("id") == request.id:
                    return self._checked(fields)

    def _checked(self, fields: dict[str, str]) -> Result:
        # Another process wrote this entry: read it within the same bounds as our own results.
        try:
            result = Result.from_fields(fields)
        except ProtocolError as exc:
            raise DelegationError(f"the sub-task's result entry is malformed: {exc}") from None
        oversize = result.oversize(self.max_result_bytes)
        if oversize:
            raise DelegationError(f"the sub-task's result was refused: {oversize.split(';')[0]}")
        return result


async def _retrying(call: Callable[[], Awaitable[T]]) -> T:
    """``call()``, waiting out Redis outages with backoff."""
    backoff = Backoff()
    while True:
        try:
            return await call()
        except Exception as exc:
            if not is_outage(exc):
                raise
            await backoff.wait()
