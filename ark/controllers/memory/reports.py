"""What the agent pods report about their memory (:mod:`ark_runtime.memory.health`), as a verdict.

Interface::

    verdict = reported_verdict(await read_reports(redis, namespace, name))
    await follow_reports(redis, enqueue, resync)   # a runnable: rechecks a memory on each report

The operator's own check only says the backend answers; a pod's failing calls (an existing
collection of another dimension, a store the pods cannot reach) turn ``Ready`` to ``False`` with
the pod's reason (``DimensionMismatch``, ``Unreachable``, ``BackendError``) until the pods report
that their calls work again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from ark.controllers.memory.check import Verdict
from ark_runtime.memory.health import HEALTH_CHANNEL, Report, health_key, parse_reports

log = logging.getLogger("ark.controllers.memory")

READ_TIMEOUT = 2.0
FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0


def reported_verdict(reports: list[Report]) -> Verdict | None:
    """``Ready=False`` naming the first failure reported, or None when no pod reports one."""
    if not reports:
        return None
    first = reports[0]
    others = len(reports) - 1
    more = f" ({others} more report{'s' if others > 1 else ''} from agent pods)" if others else ""
    return Verdict(
        False, first.reason, f"agent pod {first.pod}: memory {first.kind} fails: {first.message}{more}"
    )


async def read_reports(redis: Any, namespace: str, name: str) -> list[Report]:
    """The reports of ArkMemory ``namespace/name``; none when Redis does not answer in time (the
    task queue's outage shows elsewhere, and must not make every memory look broken)."""
    try:
        async with asyncio.timeout(READ_TIMEOUT):
            fields = await redis.hgetall(health_key(namespace, name))
    except Exception as exc:  # a status check never fails on the reports' store
        log.debug("memory health reports unreadable", extra={"error": f"{type(exc).__name__}: {exc}"})
        return []
    return parse_reports(fields)


async def follow_reports(redis: Any, enqueue: Callable[[str], None], resync: Callable[[], None]) -> None:
    """Enqueue ``<namespace>/<memory>`` for every report announced, until cancelled.

    After each (re)subscription ``resync()`` enqueues every memory: announcements made while
    unsubscribed are lost, the reports themselves are not."""
    delay = FIRST_RETRY_SECONDS
    while True:
        pubsub = redis.pubsub()
        try:
            await pubsub.subscribe(HEALTH_CHANNEL)
            resync()
            delay = FIRST_RETRY_SECONDS
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=30.0)
                if message is None or message.get("type") != "message":
                    continue
                data = message.get("data")
                key = data.decode(errors="replace") if isinstance(data, bytes) else str(data)
                if key.count("/") == 1 and len(key) <= 317:  # namespace (63) / name (253)
                    enqueue(key)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # Redis outage: subscribe again with backoff
            log.warning(
                "memory health reports: subscription lost; retrying",
                extra={"error": f"{type(exc).__name__}: {exc}", "retry_in_s": delay},
            )
            await asyncio.sleep(delay)
            delay = min(MAX_RETRY_SECONDS, delay * 2)
        finally:
            await pubsub.aclose()
