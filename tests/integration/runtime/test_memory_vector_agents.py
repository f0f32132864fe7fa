"""Real ``ark-runtime`` processes with vector-store memory: a related task's prompt carries the
nearest entry, an unrelated one's nothing; bad memory configurations and bad stores are logged
clearly and never fail a task."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ark_runtime.protocol import Task
from tests.integration.runtime.memory_support import topic_vector
from tests.integration.runtime.qdrant_peer import QdrantPeer
from tests.integration.runtime.queue_support import Results, env, model_env, submit
from tests.integration.runtime.support import (
    ModelServer,
    RuntimeProcess,
    last_user_text,
    openai_text,
    runtimes,
)
from tests.support.wait import wait_for
from tests.support.weaviate import WeaviateServer

pytestmark = pytest.mark.redis


@pytest.fixture
def qdrant() -> Iterator[QdrantPeer]:
    peer = QdrantPeer(api_key="qd-secret-key")
    peer.start()
    yield peer
    peer.stop()


def answering(model_server: ModelServer) -> ModelServer:
    model_server.embedder = topic_vector
    model_server.responder = lambda req: openai_text(
        f"answer to {last_user_text(req['body']).splitlines()[-1]}"
    )
    return model_server


def vector_env(redis_url: str, agent: str, model_server: ModelServer, **memory: str) -> dict[str, str]:
    return env(
        redis_url,
        agent,
        f"{agent}-pod",
        **model_env(model_server),
        AGENT_MEMORY_BACKEND="vector-store",
        **memory,
    )


def qdrant_memory(peer: QdrantPeer) -> dict[str, str]:
    return {
        "AGENT_MEMORY_VECTOR_STORE_PROVIDER": "qdrant",
        "AGENT_MEMORY_VECTOR_STORE_ENDPOINT": peer.url,
        "AGENT_MEMORY_VECTOR_STORE_COLLECTION": "agent-memories",
        "AGENT_MEMORY_VECTOR_STORE_API_KEY": "qd-secret-key",
    }


async def run(redis_url: str, agent: str, results: Results, n: int, prompt: str) -> None:
    item = Task(id=f"{agent}.s{n}.1", run=agent, step=f"s{n}", prompt=prompt)
    await submit(redis_url, agent, [item])
    answered = await results.wait([item.id], timeout=30)
    assert answered[item.id].status == "ok", answered[item.id].error


def prompts(model_server: ModelServer) -> list[str]:
    return [last_user_text(r["body"]) for r in model_server.requests]


def points(peer: QdrantPeer) -> int:
    found = peer.collections.get("agent-memories")
    return len(found["points"]) if found else 0


async def test_a_related_task_recalls_the_nearest_entry_and_an_unrelated_one_nothing(
    redis_url: str, agent_name: str, results: Results, model_server: ModelServer, qdrant: QdrantPeer
) -> None:
    answering(model_server)
    with runtimes(vector_env(redis_url, agent_name, model_server, **qdrant_memory(qdrant))) as (proc,):
        await run(redis_url, agent_name, results, 1, "a tomato soup for four")
        await run(redis_url, agent_name, results, 2, "the March invoice")
        await wait_for(lambda: points(qdrant) == 2, timeout=10, message="both tasks remembered")
        await run(redis_url, agent_name, results, 3, "which soup was it?")
        await run(redis_url, agent_name, results, 4, "launch the rocket")
        assert proc.terminate() == 0
        text = proc.log_text()
    related, unrelated = prompts(model_server)[2:]
    assert "Task: a tomato soup for four\nResult: answer to a tomato soup for four" in related
    assert "invoice" not in related
    assert related.endswith("which soup was it?")
    assert unrelated == "launch the rocket"
    assert "qd-secret-key" not in text


async def test_an_agent_on_a_real_weaviate_recalls_the_related_entry_only(
    redis_url: str, agent_name: str, results: Results, model_server: ModelServer, weaviate: WeaviateServer
) -> None:
    answering(model_server)
    memory = {
        "AGENT_MEMORY_VECTOR_STORE_PROVIDER": "weaviate",
        "AGENT_MEMORY_VECTOR_STORE_ENDPOINT": weaviate.url,
        "AGENT_MEMORY_VECTOR_STORE_COLLECTION": f"agents-{agent_name}",
    }
    with runtimes(vector_env(redis_url, agent_name, model_server, **memory)) as (proc,):
        await run(redis_url, agent_name, results, 1, "a garden of tomatoes")
        await run(redis_url, agent_name, results, 2, "the rocket launch")
        # The write follows the commit: wait until Weaviate holds both.
        await wait_for(lambda: _stored(weaviate, agent_name, 2), timeout=20, message="both in weaviate")
        await run(redis_url, agent_name, results, 3, "what grows in the garden?")
        await run(redis_url, agent_name, results, 4, "an invoice to pay")
        assert proc.terminate() == 0
    related, unrelated = prompts(model_server)[2:]
    assert "Task: a garden of tomatoes\nResult: answer to a garden of tomatoes" in related
    assert "rocket" not in related
    assert unrelated == "an invoice to pay"


async def _stored(weaviate: WeaviateServer, agent: str, count: int) -> bool:
    import httpx

    from ark_runtime.memory.vector.weaviate import class_name

    async with httpx.AsyncClient() as client:
        answer = await client.get(
            f"{weaviate.url}/v1/objects", params={"class": class_name(f"agents-{agent}")}
        )
    return answer.status_code == 200 and len(answer.json().get("objects") or []) == count


@pytest.mark.parametrize(
    ("memory", "says"),
    [
        (
            {
                "AGENT_MEMORY_VECTOR_STORE_PROVIDER": "pinecone",
                "AGENT_MEMORY_VECTOR_STORE_ENDPOINT": "https://x",
            },
            "vector-store provider 'pinecone' is not supported by this runtime (qdrant and weaviate are)",
        ),
        (
            {
                "AGENT_MEMORY_VECTOR_STORE_PROVIDER": "milvus",
                "AGENT_MEMORY_VECTOR_STORE_ENDPOINT": "https://x",
            },
            "AGENT_MEMORY_VECTOR_STORE_PROVIDER must be one of qdrant, weaviate, got 'milvus'",
        ),
        (
            {"AGENT_MEMORY_VECTOR_STORE_PROVIDER": "qdrant"},
            "the vector-store backend needs AGENT_MEMORY_VECTOR_STORE_ENDPOINT, which is empty",
        ),
    ],
)
async def test_a_memory_configuration_that_cannot_work_is_logged_and_tasks_still_run(
    redis_url: str,
    agent_name: str,
    results: Results,
    model_server: ModelServer,
    memory: dict[str, str],
    says: str,
) -> None:
    answering(model_server)
    with runtimes(vector_env(redis_url, agent_name, model_server, **memory)) as (proc,):
        await run(redis_url, agent_name, results, 1, "a tomato soup")
        await run(redis_url, agent_name, results, 2, "soup again")
        assert proc.terminate() == 0
        logs = proc.logs()
    off = [e for e in logs if e.get("msg") == "memory is off: its configuration cannot work"]
    assert [e["error"] for e in off] == [says]
    assert off[0]["level"] == "error"
    assert prompts(model_server) == ["a tomato soup", "soup again"]


@pytest.mark.parametrize("fault", ["500", "garbage"])
async def test_a_store_answering_errors_or_garbage_costs_memory_not_tasks(
    redis_url: str,
    agent_name: str,
    results: Results,
    model_server: ModelServer,
    qdrant: QdrantPeer,
    fault: str,
) -> None:
    answering(model_server)
    qdrant.fault = fault
    with runtimes(vector_env(redis_url, agent_name, model_server, **qdrant_memory(qdrant))) as (proc,):
        for n in range(4):
            await run(redis_url, agent_name, results, n, f"soup number {n}")
        await wait_for(lambda: _logged(proc, "memory write failed"), timeout=10, message="the write failure")
        qdrant.fault = None
        await run(redis_url, agent_name, results, 9, "soup once more")
        assert proc.terminate() == 0
        logs = proc.logs()
    warnings = [e for e in logs if e.get("level") == "warning" and e["msg"].startswith("memory")]
    assert [e["msg"] for e in warnings] == [
        "memory recall failed; tasks go on without it until it works again",
        "memory write failed; tasks go on without it until it works again",
    ]
    expected = "answered HTTP 500" if fault == "500" else "a body that is not JSON"
    assert f"qdrant at {qdrant.url}/collections/agent-memories" in warnings[0]["error"]
    assert expected in warnings[0]["error"]
    assert any(e.get("msg") == "memory recall works again" for e in logs)


def _logged(proc: RuntimeProcess, start: str) -> bool:
    return any(str(e.get("msg", "")).startswith(start) for e in proc.logs())


async def test_the_mock_provider_embeds_locally(
    redis_url: str, agent_name: str, results: Results, qdrant: QdrantPeer
) -> None:
    agent = env(
        redis_url,
        agent_name,
        f"{agent_name}-pod",
        AGENT_MEMORY_BACKEND="vector-store",
        **qdrant_memory(qdrant),
    )
    with runtimes(agent) as (proc,):
        await run(redis_url, agent_name, results, 1, "the tomato soup recipe")
        await wait_for(lambda: points(qdrant) == 1, timeout=10, message="remembered")
        assert qdrant.collections["agent-memories"]["size"] == 256
        await run(redis_url, agent_name, results, 2, "the tomato soup recipe again")
        assert proc.terminate() == 0
    result = results.by_id[f"{agent_name}.s2.1"][0]
    # The mock answers with the prompt's first words: the memory envelope comes first.
    assert result.output.startswith('[mock response for step "s2": <ark:memory>')
