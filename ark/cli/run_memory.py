"""``ark run``'s memory: ArkMemory documents among the files, as an agent pod would use them.

An agent whose ``memoryRef`` names an ArkMemory among the files gets that memory, scoped like a
pod's (namespace + agent name). ``redis`` reads ``REDIS_URL`` from the ArkMemory's Secret when the
Secret is among the files, else from ``--memory-redis-url`` (which wins over both); with neither,
the agent gets in-process memory with the same ``ttlSeconds``/``maxEntries`` rules, kept for this
run only. ``vector-store`` uses the store named in the document (the API key from its Secret
document, if given) with the provider's embeddings (local ones for the mock). A ``memoryRef`` to
an ArkMemory that is not among the files, or a memory that cannot work, is a warning and the agent
runs without memory (§18 #17). Nothing here opens a connection: :func:`open_memory` does, at run
time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ark_runtime.config import MemoryConfig
    from ark_runtime.memory.guard import Memory


@dataclass(frozen=True)
class MemorySetup:
    """An agent's memory as the files describe it."""

    source: str
    """``ArkMemory/<name>``, for messages."""
    config: MemoryConfig
    namespace: str
    in_process: bool
    """``redis`` without a URL: kept in this process."""


def memory_setup(
    memory: Any, secrets: Mapping[tuple[str, str], Mapping[str, str]], namespace: str | None, redis_url: str
) -> MemorySetup:
    """The setup of ArkMemory object ``memory``; ``redis_url`` is ``--memory-redis-url`` ("" if not given)."""
    from ark_runtime.config import MemoryConfig

    spec = memory.spec
    name = memory.metadata.name or "memory"
    config = MemoryConfig(backend=spec.backend)
    in_process = False
    if spec.backend == "redis" and spec.redis is not None:
        url = redis_url or secrets.get(("Secret", spec.redis.secret_ref.name), {}).get("REDIS_URL", "")
        in_process = not url
        config = MemoryConfig(
            backend="redis",
            redis_url=url,
            redis_ttl=spec.redis.ttl_seconds,
            redis_max_entries=spec.redis.max_entries,
        )
    elif spec.backend == "vector-store" and spec.vector_store is not None:
        store = spec.vector_store
        key = secrets.get(("Secret", store.secret_ref.name), {}) if store.secret_ref is not None else {}
        config = MemoryConfig(
            backend="vector-store",
            vector_store_provider=store.provider,
            vector_store_endpoint=store.endpoint,
            vector_store_collection=store.collection,
            vector_store_api_key=key.get("VECTOR_STORE_API_KEY", ""),
            vector_store_ttl=store.ttl_seconds,
        )
    return MemorySetup(f"ArkMemory/{name}", config, namespace or "default", in_process)


def open_memory(
    setup: MemorySetup, agent: str, provider: str, env: Mapping[str, str], warn: Callable[[str], None]
) -> Memory:
    """The memory of ``agent`` (in-context when it cannot work, with a warning naming why)."""
    from ark_runtime.memory.base import MemoryBackend, Scope
    from ark_runtime.memory.guard import Memory, now_ms
    from ark_runtime.memory.local import LocalMemory, LocalStore
    from ark_runtime.memory.select import MemoryConfigError, memory_backend

    config = setup.config
    scope = Scope(setup.namespace, agent)
    backend: MemoryBackend | None
    if setup.in_process:
        backend = LocalMemory(LocalStore(config.redis_ttl, config.redis_max_entries, now_ms), scope)
    else:
        try:
            backend = memory_backend(config, scope, provider, env, now_ms)
        except MemoryConfigError as exc:
            warn(f"{setup.source} (agent {agent}): {exc}; the agent runs without memory")
            backend = None
    return Memory(
        backend,
        recall_entries=config.recall_entries,
        max_tokens=config.max_tokens,
        timeout=config.timeout_seconds,
    )
