"""The reachability check of a memory backend: Redis ``PING``, Qdrant's collection, Weaviate's
readiness and class. Bounded by ``timeout`` seconds in all; never raises; messages name the
backend without credentials."""

from __future__ import annotations

import asyncio
from typing import Any

from ark.controllers.memory.check import Target, Verdict
from ark_runtime.memory.base import MemoryBackendError
from ark_runtime.memory.http import JsonHttp
from ark_runtime.net.bounds import display_url

DEFAULT_TIMEOUT = 5.0


async def reach(target: Target, timeout: float = DEFAULT_TIMEOUT) -> Verdict:
    """Check ``target``; the verdict names what failed."""
    where = f"{target.kind} at {display_url(target.url)}"
    try:
        async with asyncio.timeout(timeout):
            if target.kind == "redis":
                return await _redis(target, where, timeout)
            return await _store(target, where, timeout)
    except TimeoutError:
        return Verdict(False, "Unreachable", f"{where}: no answer within {timeout:g}s")


async def _redis(target: Target, where: str, timeout: float) -> Verdict:
    import redis.asyncio as aioredis
    from redis import exceptions as redis_errors

    client = aioredis.Redis.from_url(
        target.url, socket_connect_timeout=timeout, socket_timeout=timeout, health_check_interval=0
    )
    try:
        await client.ping()
    except redis_errors.AuthenticationError as exc:
        return Verdict(False, "Unauthorized", f"{where} refused the credentials of REDIS_URL: {exc}")
    except (redis_errors.RedisError, OSError) as exc:
        return Verdict(False, "Unreachable", f"{where}: {type(exc).__name__}: {exc}")
    finally:
        await client.aclose()
    return Verdict(True, "Reachable", f"{where} answered PING")


async def _store(target: Target, where: str, timeout: float) -> Verdict:
    if target.kind == "qdrant":
        headers = {"api-key": target.api_key} if target.api_key else {}
    else:
        headers = {"Authorization": f"Bearer {target.api_key}"} if target.api_key else {}
    http = JsonHttp(target.kind, target.url, headers, timeout)
    try:
        if target.kind == "qdrant":
            return await _qdrant(http, target, where)
        return await _weaviate(http, target, where)
    except MemoryBackendError as exc:
        return Verdict(False, "Unreachable" if exc.reason == "Unreachable" else "BadResponse", str(exc))
    finally:
        await http.aclose()


def _refused(status: int, where: str) -> Verdict | None:
    if status in (401, 403):
        return Verdict(
            False,
            "Unauthorized",
            f"{where} refused the API key (HTTP {status}; Secret key VECTOR_STORE_API_KEY)",
        )
    return None


async def _qdrant(http: JsonHttp, target: Target, where: str) -> Verdict:
    from urllib.parse import quote

    from ark_runtime.memory.vector.qdrant import collection_size

    status, data = await http.call(
        "GET", f"/collections/{quote(target.collection, safe='')}", accept=(401, 403, 404)
    )
    refused = _refused(status, where)
    if refused:
        return refused
    if status == 404:
        return Verdict(
            True, "Reachable", f"{where} answered; collection {target.collection!r} is made on first use"
        )
    size = collection_size(data, target.collection)
    return Verdict(
        True,
        "Reachable",
        f"{where} answered; collection {target.collection!r} holds {size}-dimensional vectors",
    )


async def _weaviate(http: JsonHttp, target: Target, where: str) -> Verdict:
    from ark_runtime.memory.vector.weaviate import class_name

    status, _ = await http.call("GET", "/v1/.well-known/ready", accept=(401, 403, 503))
    if status == 503:
        return Verdict(False, "Unreachable", f"{where} is not ready (HTTP 503 from /v1/.well-known/ready)")
    name = class_name(target.collection)
    status, data = await http.call("GET", f"/v1/schema/{name}", accept=(401, 403, 404))
    refused = _refused(status, where)
    if refused:
        return refused
    if status == 404:
        return Verdict(True, "Reachable", f"{where} is ready; class {name} is made on first use")
    if not isinstance(data, dict) or data.get("class") != name:
        return Verdict(
            False, "BadResponse", f"{where} described class {name} in an unexpected shape: {_short(data)}"
        )
    return Verdict(True, "Reachable", f"{where} is ready; class {name} exists")


def _short(data: Any) -> str:
    return repr(data)[:200]
