"""From the ``AGENT_MEMORY_*`` configuration to the agent's memory.

``in-context`` (or unset) stores nothing, as before. ``redis`` needs ``AGENT_MEMORY_REDIS_URL``;
``vector-store`` needs a provider (``qdrant`` or ``weaviate``; ``pinecone`` is refused by name),
an endpoint, and embeddings: the mock provider's local ones, else the OpenAI-compatible
``OPENAI_BASE_URL`` (default OpenAI) with ``OPENAI_API_KEY``. A configuration that cannot work
raises :class:`MemoryConfigError`; the agent logs it and runs without memory (a memory problem
never stops an agent nor fails a task).

Scope: the entries belong to ``AGENT_NAMESPACE`` plus ``AGENT_MEMORY_SCOPE`` or, by default,
``AGENT_NAME``. A team's inline role is its own generated ArkAgent (``<team>-<role>``), so each
role remembers for itself; an ArkAgent playing roles in several teams has one memory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from ark_runtime.config import AgentConfig, ConfigError, MemoryConfig, redis_url
from ark_runtime.memory.base import MemoryBackend, Scope
from ark_runtime.memory.embeddings import Embeddings, HashEmbeddings, OpenAIEmbeddings
from ark_runtime.memory.guard import Memory, now_ms
from ark_runtime.memory.health import HealthReporter
from ark_runtime.memory.hook import Stager
from ark_runtime.memory.vector.base import VectorStore
from ark_runtime.memory.vector_memory import VectorMemory

log = logging.getLogger("ark_runtime.memory")

BACKENDS = ("in-context", "redis", "vector-store")
PROVIDERS = ("qdrant", "weaviate")
OPENAI_DEFAULT_BASE = "https://api.openai.com/v1"


class MemoryConfigError(ValueError):
    """The memory configuration cannot work; the message names the variable."""


def redis_memory_url(config: MemoryConfig) -> str:
    """The normalised ``AGENT_MEMORY_REDIS_URL``; raises :class:`MemoryConfigError`."""
    if not config.redis_url.strip():
        raise MemoryConfigError(
            "the redis memory backend needs AGENT_MEMORY_REDIS_URL (key REDIS_URL of the ArkMemory's "
            "Secret), which is empty"
        )
    try:
        return redis_url(config.redis_url, variable="AGENT_MEMORY_REDIS_URL")
    except ConfigError as exc:
        raise MemoryConfigError(str(exc).replace(config.redis_url, "<hidden>")) from None


def check_backend(config: MemoryConfig) -> str:
    """The backend name, checked; raises :class:`MemoryConfigError`."""
    backend = (config.backend or "in-context").strip()
    if backend not in BACKENDS:
        raise MemoryConfigError(f"AGENT_MEMORY_BACKEND must be one of {', '.join(BACKENDS)}, got {backend!r}")
    return backend


def store_settings(config: MemoryConfig) -> tuple[str, str, str]:
    """``(provider, endpoint, collection)``, checked; raises :class:`MemoryConfigError` naming what
    is wrong."""
    provider = config.vector_store_provider.strip().lower()
    if provider == "pinecone":
        raise MemoryConfigError(
            "vector-store provider 'pinecone' is not supported by this runtime (qdrant and weaviate are)"
        )
    if provider not in PROVIDERS:
        raise MemoryConfigError(
            f"AGENT_MEMORY_VECTOR_STORE_PROVIDER must be one of {', '.join(PROVIDERS)}, got {provider!r}"
        )
    endpoint = config.vector_store_endpoint.strip()
    if not endpoint:
        raise MemoryConfigError(
            "the vector-store backend needs AGENT_MEMORY_VECTOR_STORE_ENDPOINT, which is empty"
        )
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MemoryConfigError(
            f"AGENT_MEMORY_VECTOR_STORE_ENDPOINT must be an http:// or https:// URL, got {endpoint!r}"
        )
    return provider, endpoint, config.vector_store_collection.strip() or "agent-memories"


def embedding_settings(provider: str, env: Mapping[str, str]) -> tuple[str, str] | None:
    """``(base URL, API key)`` of the embeddings endpoint; None for the mock provider's local ones.
    Raises :class:`MemoryConfigError` when there is no key."""
    if provider == "mock":
        return None
    key = env.get("OPENAI_API_KEY", "").strip()
    if not key:
        raise MemoryConfigError(
            "the vector-store backend gets embeddings from the OpenAI-compatible API, which needs "
            "OPENAI_API_KEY (and OPENAI_BASE_URL for llama.cpp, vLLM or Ollama); it is not set"
        )
    return env.get("OPENAI_BASE_URL", "").strip() or OPENAI_DEFAULT_BASE, key


def memory_backend(
    config: MemoryConfig, scope: Scope, provider: str, env: Mapping[str, str], clock: Callable[[], int]
) -> MemoryBackend | None:
    """The backend ``config`` asks for (None for ``in-context``); raises :class:`MemoryConfigError`.

    ``provider`` is the agent's model provider (``mock`` gets local embeddings)."""
    backend = check_backend(config)
    if backend == "in-context":
        return None
    timeout = config.timeout_seconds
    if backend == "redis":
        from ark_runtime.memory.redis_memory import RedisMemory

        return RedisMemory(
            redis_memory_url(config), scope, config.redis_ttl, config.redis_max_entries, timeout
        )
    store_provider, endpoint, collection = store_settings(config)
    endpoint_key = embedding_settings(provider, env)
    embeddings: Embeddings = (
        HashEmbeddings()
        if endpoint_key is None
        else OpenAIEmbeddings(endpoint_key[0], endpoint_key[1], config.embedding_model, timeout)
    )
    store: VectorStore
    if store_provider == "qdrant":
        from ark_runtime.memory.vector.qdrant import QdrantStore

        store = QdrantStore(endpoint, collection, config.vector_store_api_key, timeout)
    else:
        from ark_runtime.memory.vector.weaviate import WeaviateStore

        store = WeaviateStore(endpoint, collection, config.vector_store_api_key, timeout)
    return VectorMemory(store, embeddings, scope, config.vector_store_ttl, config.min_score, clock)


def _reporter(config: AgentConfig) -> HealthReporter | None:
    """Reports to the ArkMemory's status, when the operator named it (``AGENT_MEMORY_NAME``)."""
    if not config.memory.name:
        return None
    from ark_runtime.queue.connection import connect

    return HealthReporter(
        connect(config.queue_url),
        config.namespace,
        config.memory.name,
        config.pod_name,
        timeout=config.memory.timeout_seconds,
    )


def agent_memory(config: AgentConfig, provider: str, env: Mapping[str, str]) -> tuple[Memory, Stager | None]:
    """An agent pod's memory, and the stager that writes it with results when it lives in the task
    queue's own Redis. A configuration that cannot work is logged (error) and gives no memory."""
    settings = config.memory
    scope = Scope(config.namespace, settings.scope or config.name)
    try:
        backend = memory_backend(settings, scope, provider, env, now_ms)
    except MemoryConfigError as exc:
        log.error("memory is off: its configuration cannot work", extra={"error": str(exc)})
        backend = None
    memory = Memory(
        backend,
        recall_entries=settings.recall_entries,
        max_tokens=settings.max_tokens,
        timeout=settings.timeout_seconds,
        reporter=_reporter(config) if backend is not None else None,
    )
    from ark_runtime.memory.redis_memory import RedisMemory, same_server

    stager = (
        backend if isinstance(backend, RedisMemory) and same_server(backend.url, config.queue_url) else None
    )
    return memory, stager
