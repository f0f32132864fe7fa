"""Vector-store memory against a real Weaviate (built from its Go module) and a loopback peer
speaking Qdrant's REST format, with fixed embeddings served by the loopback model server's
``/v1/embeddings``: nearest entries for a related task, none for an unrelated one, collections
made on first use, TTL, and every kind of bad answer reported clearly."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from ark_runtime.memory.base import MemoryBackendError, MemoryEntry, Scope
from ark_runtime.memory.embeddings import OpenAIEmbeddings
from ark_runtime.memory.vector.base import VectorStore
from ark_runtime.memory.vector.qdrant import QdrantStore
from ark_runtime.memory.vector.weaviate import WeaviateStore
from ark_runtime.memory.vector_memory import VectorMemory
from ark_runtime.protocol import Task
from tests.integration.runtime.memory_support import topic_vector
from tests.integration.runtime.qdrant_peer import QdrantPeer
from tests.integration.runtime.support import ModelServer
from tests.support.weaviate import WeaviateServer

SCOPE = Scope("rt", "chef")


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000_000

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def qdrant() -> Iterator[QdrantPeer]:
    peer = QdrantPeer(api_key="qd-key")
    peer.start()
    yield peer
    peer.stop()


@pytest.fixture
def embedding_server(model_server: ModelServer) -> ModelServer:
    model_server.embedder = topic_vector
    return model_server


_collections = itertools.count()


def collection() -> str:
    return f"memories-{uuid.uuid4().hex[:8]}-{next(_collections)}"


@pytest.fixture(params=["weaviate", "qdrant"])
def store_factory(request: pytest.FixtureRequest) -> Iterator[tuple[str, object]]:
    if request.param == "weaviate":
        server: WeaviateServer = request.getfixturevalue("weaviate")
        yield "weaviate", server
    else:
        yield "qdrant", request.getfixturevalue("qdrant")


def make_store(kind: str, server: object, name: str) -> VectorStore:
    if kind == "weaviate":
        assert isinstance(server, WeaviateServer)
        return WeaviateStore(server.url, name, "", timeout=10)
    assert isinstance(server, QdrantPeer)
    return QdrantStore(server.url, name, "qd-key", timeout=10)


@pytest.fixture
async def memory(
    store_factory: tuple[str, object], embedding_server: ModelServer
) -> AsyncIterator[tuple[VectorMemory, Clock]]:
    kind, server = store_factory
    clock = Clock()
    embeddings = OpenAIEmbeddings(embedding_server.openai_base, "emb-key", "test-embed", timeout=10)
    backend = VectorMemory(make_store(kind, server, collection()), embeddings, SCOPE, 60, 0.5, clock)
    yield backend, clock
    await backend.aclose()


def task(prompt: str) -> Task:
    return Task(id=f"t-{uuid.uuid4().hex[:6]}", run="r", step="s", prompt=prompt)


def entry(task_text: str, result: str, at: int) -> MemoryEntry:
    return MemoryEntry(task=task_text, result=result, at_ms=at, task_id=f"id-{task_text[:5]}")


async def test_recall_finds_the_nearest_entries_for_a_related_task_and_none_for_an_unrelated_one(
    memory: tuple[VectorMemory, Clock], embedding_server: ModelServer
) -> None:
    backend, clock = memory
    await backend.remember(entry("a tomato soup for four", "simmer 20 minutes", clock.now))
    await backend.remember(entry("the March invoice total", "1200 EUR", clock.now + 1))
    await backend.remember(entry("a soup and an invoice", "both", clock.now + 2))
    related = await backend.recall(task("which soup did we cook?"), 5)
    assert [e.task for e in related][:1] == ["a tomato soup for four"]
    assert {e.task for e in related} == {"a tomato soup for four", "a soup and an invoice"}
    assert related[0].score is not None
    assert related[0].score > related[1].score  # type: ignore[operator]
    assert (related[0].result, related[0].at_ms) == ("simmer 20 minutes", clock.now)
    assert await backend.recall(task("how far does the rocket fly?"), 5) == []
    assert await backend.recall(task("something else entirely"), 5) == []
    embedded = [r["body"] for r in embedding_server.embedding_requests]
    assert embedded[0] == {"model": "test-embed", "input": "a tomato soup for four"}
    assert embedding_server.embedding_requests[0]["headers"]["authorization"] == "Bearer emb-key"


async def test_entries_are_per_scope(
    store_factory: tuple[str, object], embedding_server: ModelServer
) -> None:
    kind, server = store_factory
    name = collection()
    embeddings = OpenAIEmbeddings(embedding_server.openai_base, "k", "m", timeout=10)
    clock = Clock()
    mine = VectorMemory(make_store(kind, server, name), embeddings, Scope("team-a", "chef"), 0, 0.5, clock)
    theirs = VectorMemory(make_store(kind, server, name), embeddings, Scope("team-b", "chef"), 0, 0.5, clock)
    await mine.remember(entry("our soup", "mine", clock.now))
    assert await theirs.recall(task("soup?"), 5) == []
    assert [e.result for e in await mine.recall(task("soup?"), 5)] == ["mine"]
    await mine.aclose()
    await theirs.store.aclose()


async def test_expired_entries_are_not_recalled_and_are_deleted(memory: tuple[VectorMemory, Clock]) -> None:
    backend, clock = memory
    await backend.remember(entry("old soup", "old", clock.now - 61_000))
    await backend.remember(entry("new soup", "new", clock.now - 1_000))
    assert [e.result for e in await backend.recall(task("soup"), 5)] == ["new"]
    await backend.maintain()
    clock.now -= 120_000  # back in time: only a deleted entry stays invisible
    assert [e.result for e in await backend.recall(task("soup"), 5)] == ["new"]


async def test_the_collection_is_made_on_first_use_with_the_embeddings_dimension(
    store_factory: tuple[str, object], embedding_server: ModelServer
) -> None:
    kind, server = store_factory
    name = collection()
    embeddings = OpenAIEmbeddings(embedding_server.openai_base, "k", "m", timeout=10)
    backend = VectorMemory(make_store(kind, server, name), embeddings, SCOPE, 0, 0.5, Clock())
    assert await backend.recall(task("soup"), 5) == []
    await backend.remember(entry("soup", "r", 1))
    if isinstance(server, QdrantPeer):
        assert server.collections[name]["size"] == 4
        assert all(headers.get("api-key") == "qd-key" for _, _, headers in server.requests)
    # Another dimension against the same collection: refused, naming both.
    embedding_server.embedder = lambda text: [*topic_vector(text), 0.0]
    other = VectorMemory(make_store(kind, server, name), embeddings, SCOPE, 0, 0.5, Clock())
    with pytest.raises(
        MemoryBackendError, match="holds 4-dimensional vectors but the embeddings are 5-dimensional"
    ):
        await other.recall(task("soup"), 5)
    await backend.aclose()
    await other.store.aclose()


@pytest.mark.parametrize(
    ("fault", "says"), [("500", "answered HTTP 500"), ("garbage", "a body that is not JSON")]
)
async def test_a_store_answering_errors_or_garbage_is_a_clear_error(
    qdrant: QdrantPeer, embedding_server: ModelServer, fault: str, says: str
) -> None:
    qdrant.fault = fault
    embeddings = OpenAIEmbeddings(embedding_server.openai_base, "k", "m", timeout=10)
    backend = VectorMemory(make_store("qdrant", qdrant, collection()), embeddings, SCOPE, 0, 0.5, Clock())
    with pytest.raises(MemoryBackendError, match=f"qdrant at {qdrant.url}/collections/memories-.* {says}"):
        await backend.recall(task("soup"), 5)
    await backend.aclose()


async def test_embeddings_failures_name_the_endpoint(qdrant: QdrantPeer, model_server: ModelServer) -> None:
    embeddings = OpenAIEmbeddings(model_server.openai_base, "k", "m", timeout=10)  # no embedder: 500
    backend = VectorMemory(make_store("qdrant", qdrant, collection()), embeddings, SCOPE, 0, 0.5, Clock())
    with pytest.raises(
        MemoryBackendError,
        match=f"the embeddings endpoint at {model_server.openai_base}/embeddings answered HTTP 500",
    ):
        await backend.recall(task("soup"), 5)
    await backend.aclose()


async def test_a_store_that_is_not_there_is_a_clear_error(embedding_server: ModelServer) -> None:
    from localcluster import free_port

    url = f"http://127.0.0.1:{free_port()}"
    embeddings = OpenAIEmbeddings(embedding_server.openai_base, "k", "m", timeout=10)
    backend = VectorMemory(WeaviateStore(url, "c", "", timeout=5), embeddings, SCOPE, 0, 0.5, Clock())
    with pytest.raises(MemoryBackendError, match=f"cannot reach weaviate at {url}/v1/schema/C: ConnectError"):
        await backend.recall(task("soup"), 5)
    await backend.aclose()


async def test_the_operators_check_reaches_a_real_weaviate(weaviate: WeaviateServer) -> None:
    from ark.controllers.memory.check import Target
    from ark.controllers.memory.reach import reach

    verdict = await reach(Target("weaviate", weaviate.url, "", "never-used"))
    assert (verdict.ready, verdict.reason) == (True, "Reachable")
    assert verdict.message == f"weaviate at {weaviate.url} is ready; class NeverUsed is made on first use"
