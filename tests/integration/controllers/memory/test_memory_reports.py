"""What agent pods meet with their memory reaches the ArkMemory's status: a real ``ark-runtime``
process whose embeddings do not fit an existing collection answers its tasks all the same, and
the ArkMemory, reachable for the operator, turns ``Ready=False/DimensionMismatch`` naming the pod
and both dimensions, until the pod's calls work again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ark.controllers.resources import ARK_MEMORIES
from ark.kube.client import KubeClient
from ark.kube.resources import EVENTS
from ark_runtime.protocol import Result, Task, results_stream, tasks_stream
from ark_runtime.queue.connection import connect
from ark_runtime.queue.submit import ResultsReader, Submitter
from tests.integration.controllers.conftest import Start
from tests.integration.controllers.memory.test_memory import memory, ready
from tests.integration.runtime.qdrant_peer import QdrantPeer
from tests.integration.runtime.support import runtimes
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.redis]


async def warned(kube: KubeClient, namespace: str) -> bool:
    page = await kube.list(EVENTS, namespace, field_selector="involvedObject.name=notes")
    return any(
        (e["type"], e["reason"]) == ("Warning", "DimensionMismatch")
        and e["message"].startswith("agent pod writer-7d9f-abcde: memory recall fails")
        for e in page["items"]
    )


@pytest.fixture
def qdrant() -> Iterator[QdrantPeer]:
    peer = QdrantPeer()
    peer.start()
    yield peer
    peer.stop()


def pod_env(redis_url: str, namespace: str, store: QdrantPeer) -> dict[str, str]:
    """An agent pod of ``writer`` on the mock model (256-dimensional local embeddings), as the
    operator configures it for ArkMemory ``notes``."""
    return {
        "AGENT_MODEL": "mock",
        "AGENT_SYSTEM_PROMPT": "You are a test agent.",
        "TASK_QUEUE_URL": redis_url,
        "AGENT_NAMESPACE": namespace,
        "AGENT_NAME": "writer",
        "POD_NAME": "writer-7d9f-abcde",
        "LOG_LEVEL": "DEBUG",
        "AGENT_MEMORY_NAME": "notes",
        "AGENT_MEMORY_BACKEND": "vector-store",
        "AGENT_MEMORY_VECTOR_STORE_PROVIDER": "qdrant",
        "AGENT_MEMORY_VECTOR_STORE_ENDPOINT": store.url,
        "AGENT_MEMORY_VECTOR_STORE_COLLECTION": "agent-memories",
    }


class Answers:
    """The results of the namespace's tasks, read through a group of the test's own."""

    def __init__(self, redis_url: str, namespace: str) -> None:
        self.redis = connect(redis_url)
        self.namespace = namespace
        self.reader = ResultsReader(self.redis, results_stream(namespace), group="test-memory-reports")
        self.found: dict[str, Result] = {}

    async def ask(self, n: int, prompt: str) -> Result:
        task = Task(id=f"r{n}.s.1", run=f"r{n}", step="s", prompt=prompt)
        await self.reader.read(block_ms=1)  # the group exists before the result can
        await Submitter(self.redis).submit_many(tasks_stream(self.namespace, "writer"), [task])

        async def answered() -> Result | None:
            for _, message in await self.reader.read(block_ms=200):
                if isinstance(message, Result):
                    self.found[message.id] = message
            return self.found.get(task.id)

        return await wait_for(answered, timeout=30, message=f"the answer to task {n}")


async def test_a_dimension_mismatch_met_by_the_pods_is_in_the_status_until_their_calls_work(
    start_operator: Start, namespace: str, redis_url: str, qdrant: QdrantPeer
) -> None:
    qdrant.collections["agent-memories"] = {"size": 4, "points": {}}
    cluster = await start_operator()
    kube = cluster.kube
    store: dict[str, Any] = {"provider": "qdrant", "endpoint": qdrant.url}
    await kube.create(ARK_MEMORIES, memory("notes", namespace, backend="vector-store", vectorStore=store))
    found = await wait_for(lambda: ready(kube, namespace, "notes", "True", "Reachable"), timeout=30)
    assert "holds 4-dimensional vectors" in found["message"]
    answers = Answers(redis_url, namespace)
    try:
        with runtimes(pod_env(redis_url, namespace, qdrant)) as (proc,):
            first = await answers.ask(1, "a tomato soup for four")
            assert first.status == "ok", first.error
            found = await wait_for(
                lambda: ready(kube, namespace, "notes", "False", "DimensionMismatch"), timeout=30
            )
            assert found["message"].startswith(
                "agent pod writer-7d9f-abcde: memory recall fails: qdrant collection 'agent-memories' "
                "holds 4-dimensional vectors but the embeddings are 256-dimensional"
            )
            # The collection is made again, with the embeddings' dimension, on the pod's next use.
            qdrant.collections.pop("agent-memories")
            second = await answers.ask(2, "soup again")
            assert second.status == "ok", second.error
            await wait_for(lambda: ready(kube, namespace, "notes", "True", "Reachable"), timeout=30)
            assert proc.terminate() == 0
            logs = proc.logs()
    finally:
        await answers.redis.aclose()
    await wait_for(lambda: warned(kube, namespace), timeout=10, message="a DimensionMismatch Event")
    warnings = [e for e in logs if e.get("level") == "warning" and e["msg"].startswith("memory recall")]
    assert [e["reason"] for e in warnings] == ["DimensionMismatch"]
