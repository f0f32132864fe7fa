"""From ``AGENT_MEMORY_*`` to a backend, and every configuration that cannot work, named."""

from __future__ import annotations

import pytest

from ark_runtime.config import MemoryConfig
from ark_runtime.memory.base import Scope
from ark_runtime.memory.embeddings import HashEmbeddings, OpenAIEmbeddings
from ark_runtime.memory.redis_memory import RedisMemory
from ark_runtime.memory.select import MemoryConfigError, memory_backend
from ark_runtime.memory.vector.qdrant import QdrantStore
from ark_runtime.memory.vector.weaviate import WeaviateStore
from ark_runtime.memory.vector_memory import VectorMemory

SCOPE = Scope("shop", "writer")


def select(provider: str = "mock", env: dict[str, str] | None = None, **fields: object) -> object:
    return memory_backend(MemoryConfig(**fields), SCOPE, provider, env or {}, lambda: 0)  # type: ignore[arg-type]


async def test_in_context_and_unset_store_nothing() -> None:
    assert select(backend="in-context") is None
    assert select(backend="") is None


async def test_redis() -> None:
    backend = select(
        backend="redis", redis_url="redis://:pw@127.0.0.1:6390/2", redis_ttl=5, redis_max_entries=3
    )
    assert isinstance(backend, RedisMemory)
    assert (backend.key, backend.ttl_ms, backend.max_entries) == ("ark:memory:shop:writer", 5000, 3)
    assert backend.description == "redis at redis://127.0.0.1:6390/2"  # no password
    await backend.aclose()
    plain = select(backend="redis", redis_url="127.0.0.1:6390")
    assert isinstance(plain, RedisMemory)
    assert plain.description == "redis at redis://127.0.0.1:6390/0"
    await plain.aclose()


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        (
            {"backend": "mongo"},
            "AGENT_MEMORY_BACKEND must be one of in-context, redis, vector-store, got 'mongo'",
        ),
        ({"backend": "redis"}, "needs AGENT_MEMORY_REDIS_URL"),
        ({"backend": "redis", "redis_url": "http://secret@x"}, "AGENT_MEMORY_REDIS_URL must be host:port"),
        (
            {
                "backend": "vector-store",
                "vector_store_provider": "pinecone",
                "vector_store_endpoint": "http://p",
            },
            "provider 'pinecone' is not supported by this runtime (qdrant and weaviate are)",
        ),
        (
            {
                "backend": "vector-store",
                "vector_store_provider": "milvus",
                "vector_store_endpoint": "http://p",
            },
            "AGENT_MEMORY_VECTOR_STORE_PROVIDER must be one of qdrant, weaviate, got 'milvus'",
        ),
        (
            {"backend": "vector-store", "vector_store_provider": "qdrant"},
            "needs AGENT_MEMORY_VECTOR_STORE_ENDPOINT",
        ),
        (
            {
                "backend": "vector-store",
                "vector_store_provider": "qdrant",
                "vector_store_endpoint": "qdrant:6333",
            },
            "must be an http:// or https:// URL, got 'qdrant:6333'",
        ),
    ],
)
def test_configurations_that_cannot_work_are_named(fields: dict[str, object], says: str) -> None:
    with pytest.raises(MemoryConfigError, match=says.replace("(", r"\(").replace(")", r"\)")) as caught:
        select(**fields)
    assert "secret" not in str(caught.value)


async def test_vector_store_with_the_mock_provider_embeds_locally() -> None:
    backend = select(
        backend="vector-store",
        vector_store_provider="Qdrant",
        vector_store_endpoint="http://127.0.0.1:6333",
        vector_store_ttl=60,
    )
    assert isinstance(backend, VectorMemory)
    assert isinstance(backend.store, QdrantStore)
    assert backend.store.collection == "agent-memories"
    assert isinstance(backend.embeddings, HashEmbeddings)
    assert backend.ttl_seconds == 60
    await backend.aclose()


async def test_vector_store_otherwise_embeds_with_the_openai_compatible_endpoint() -> None:
    env = {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": "http://127.0.0.1:8000/v1"}
    backend = select(
        "openai",
        env,
        backend="vector-store",
        vector_store_provider="weaviate",
        vector_store_endpoint="http://127.0.0.1:8080",
        vector_store_collection="notes",
        embedding_model="nomic-embed",
    )
    assert isinstance(backend, VectorMemory)
    assert isinstance(backend.store, WeaviateStore)
    assert backend.store.name == "Notes"
    assert isinstance(backend.embeddings, OpenAIEmbeddings)
    assert backend.embeddings.model == "nomic-embed"
    assert (
        backend.embeddings.description
        == "embeddings model 'nomic-embed' at http://127.0.0.1:8000/v1/embeddings"
    )
    await backend.aclose()


def test_vector_store_without_an_embeddings_key_is_named() -> None:
    with pytest.raises(MemoryConfigError, match="needs OPENAI_API_KEY"):
        select(
            "anthropic",
            {},
            backend="vector-store",
            vector_store_provider="qdrant",
            vector_store_endpoint="http://q",
        )
