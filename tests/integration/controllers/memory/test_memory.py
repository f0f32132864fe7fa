"""ArkMemory status against the real API server: Ready with a reason naming what failed, Events,
rechecks with backoff, Secret changes picked up, and agents rolled when their memory changes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from localcluster import RedisServer, free_port

from ark.controllers.agent.deployment import MEMORY_HASH_ANNOTATION
from ark.controllers.resources import ARK_MEMORIES
from ark.kube.client import KubeClient
from ark.kube.resources import EVENTS, SECRETS
from tests.integration.controllers.conftest import Start
from tests.integration.controllers.support import agent, condition, create_all, get_deployment, secret
from tests.integration.runtime.qdrant_peer import QdrantPeer
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.redis]
Obj = dict[str, Any]


def memory(name: str, namespace: str, **spec: Any) -> Obj:
    return {
        "apiVersion": "arkonis.dev/v1alpha1",
        "kind": "ArkMemory",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def redis_memory(name: str, namespace: str, secret_name: str = "memory-redis", **redis: Any) -> Obj:
    return memory(name, namespace, backend="redis", redis={"secretRef": {"name": secret_name}, **redis})


async def ready(kube: KubeClient, namespace: str, name: str, status: str, reason: str) -> Obj | None:
    obj = await kube.get(ARK_MEMORIES, name, namespace)
    found = condition(obj, "Ready")
    if found.get("status") == status and found.get("reason") == reason:
        assert (obj.get("status") or {}).get("observedGeneration") == obj["metadata"]["generation"]
        return found
    return None


async def events(kube: KubeClient, namespace: str, name: str, *expected: tuple[str, str]) -> bool:
    """True once the Events about ``name`` are ``expected`` (type, reason), in any order."""
    page = await kube.list(EVENTS, namespace, field_selector=f"involvedObject.name={name}")
    found = sorted((e["type"], e["reason"]) for e in page["items"])
    return found == sorted(expected)


@pytest.fixture
def qdrant() -> Iterator[QdrantPeer]:
    peer = QdrantPeer(api_key="qd-key")
    peer.start()
    yield peer
    peer.stop()


async def test_a_reachable_redis_is_ready(start_operator: Start, namespace: str, redis_url: str) -> None:
    cluster = await start_operator()
    kube = cluster.kube
    await create_all(kube, secret("memory-redis", namespace, {"REDIS_URL": redis_url}))
    await kube.create(ARK_MEMORIES, redis_memory("notes", namespace))
    found = await wait_for(
        lambda: ready(kube, namespace, "notes", "True", "Reachable"), timeout=30, message="Ready"
    )
    assert found["message"] == f"redis at {redis_url} answered PING"
    await wait_for(
        lambda: events(kube, namespace, "notes", ("Normal", "Reachable")), timeout=10, message="Event"
    )


async def test_a_missing_secret_is_named_and_its_creation_is_picked_up(
    start_operator: Start, namespace: str, redis_url: str
) -> None:
    cluster = await start_operator()
    kube = cluster.kube
    await kube.create(ARK_MEMORIES, redis_memory("notes", namespace))
    found = await wait_for(lambda: ready(kube, namespace, "notes", "False", "SecretNotFound"), timeout=30)
    assert found["message"] == "Secret memory-redis (key REDIS_URL) does not exist"
    await create_all(kube, secret("memory-redis", namespace, {"OTHER": "x"}))
    await wait_for(lambda: ready(kube, namespace, "notes", "False", "SecretKeyMissing"), timeout=30)
    await kube.patch(SECRETS, "memory-redis", {"stringData": {"REDIS_URL": redis_url}}, namespace)
    await wait_for(lambda: ready(kube, namespace, "notes", "True", "Reachable"), timeout=30)
    expected = [("Normal", "Reachable"), ("Warning", "SecretKeyMissing"), ("Warning", "SecretNotFound")]
    await wait_for(
        lambda: events(kube, namespace, "notes", *expected), timeout=10, message="one Event per change"
    )


async def test_an_unreachable_redis_is_rechecked_until_it_answers(
    start_operator: Start, namespace: str
) -> None:
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    cluster = await start_operator()
    kube = cluster.kube
    await create_all(kube, secret("memory-redis", namespace, {"REDIS_URL": url}))
    await kube.create(ARK_MEMORIES, redis_memory("notes", namespace))
    found = await wait_for(lambda: ready(kube, namespace, "notes", "False", "Unreachable"), timeout=30)
    assert found["message"].startswith(f"redis at {url}: ConnectionError")
    server = RedisServer(port=port)
    server.start()
    try:
        # No change to the ArkMemory or its Secret: only the backed-off recheck can see it.
        await wait_for(lambda: ready(kube, namespace, "notes", "True", "Reachable"), timeout=60)
    finally:
        server.stop()
    expected = [("Normal", "Reachable"), ("Warning", "Unreachable")]
    await wait_for(
        lambda: events(kube, namespace, "notes", *expected), timeout=10, message="one Event per change"
    )


async def test_vector_stores(start_operator: Start, namespace: str, qdrant: QdrantPeer) -> None:
    cluster = await start_operator()
    kube = cluster.kube
    await create_all(
        kube,
        secret("qd", namespace, {"VECTOR_STORE_API_KEY": "qd-key"}),
        secret("bad", namespace, {"VECTOR_STORE_API_KEY": "nope"}),
    )
    for name, provider, key in (
        ("q", "qdrant", "qd"),
        ("wrong-key", "qdrant", "bad"),
        ("pine", "pinecone", "qd"),
    ):
        store = {"provider": provider, "endpoint": qdrant.url, "secretRef": {"name": key}}
        await kube.create(ARK_MEMORIES, memory(name, namespace, backend="vector-store", vectorStore=store))
    found = await wait_for(lambda: ready(kube, namespace, "q", "True", "Reachable"), timeout=30)
    assert (
        found["message"]
        == f"qdrant at {qdrant.url} answered; collection 'agent-memories' is made on first use"
    )
    refused = await wait_for(lambda: ready(kube, namespace, "wrong-key", "False", "Unauthorized"), timeout=30)
    assert "refused the API key (HTTP 401" in refused["message"]
    pine = await wait_for(lambda: ready(kube, namespace, "pine", "False", "UnsupportedProvider"), timeout=30)
    assert "pinecone is not supported by the agent runtime" in pine["message"]
    assert "qd-key" not in str(await kube.get(ARK_MEMORIES, "q", namespace))


async def test_an_agent_rolls_when_its_memory_or_the_memory_secret_changes(
    start_operator: Start, namespace: str, redis_url: str
) -> None:
    cluster = await start_operator()
    kube = cluster.kube
    await create_all(
        kube,
        secret("memory-redis", namespace, {"REDIS_URL": redis_url}),
        agent("scribe", namespace, model="mock", systemPrompt="Write.", memoryRef={"name": "notes"}),
    )
    await kube.create(ARK_MEMORIES, redis_memory("notes", namespace))

    async def rolled(previous: str | None) -> str | None:
        deployment = await get_deployment(kube, namespace, "scribe")
        annotations = (deployment or {}).get("spec", {}).get("template", {}).get("metadata", {}).get(
            "annotations"
        ) or {}
        value = annotations.get(MEMORY_HASH_ANNOTATION)
        return value if value and value != previous else None

    first = await wait_for(lambda: rolled(None), timeout=30, message="the memory hash on the pod template")
    await kube.patch(
        SECRETS, "memory-redis", {"stringData": {"REDIS_URL": redis_url.replace("/0", "/1")}}, namespace
    )
    second = await wait_for(lambda: rolled(first), timeout=30, message="rolled on the Secret change")
    await kube.patch(ARK_MEMORIES, "notes", {"spec": {"redis": {"maxEntries": 5}}}, namespace)
    third = await wait_for(lambda: rolled(second), timeout=30, message="rolled on the ArkMemory change")
    assert len({first, second, third}) == 3


@pytest.mark.parametrize(
    ("fault", "says"),
    [("500", "answered HTTP 500"), ("garbage", "answered HTTP 200 with a body that is not JSON")],
)
async def test_a_store_answering_errors_or_garbage_is_a_bad_response(
    start_operator: Start, namespace: str, qdrant: QdrantPeer, fault: str, says: str
) -> None:
    qdrant.fault = fault
    cluster = await start_operator()
    store = {"provider": "qdrant", "endpoint": qdrant.url, "collection": "notes"}
    await cluster.kube.create(ARK_MEMORIES, memory("q", namespace, backend="vector-store", vectorStore=store))
    found = await wait_for(lambda: ready(cluster.kube, namespace, "q", "False", "BadResponse"), timeout=30)
    assert found["message"].startswith(f"qdrant at {qdrant.url}/collections/notes {says}")
