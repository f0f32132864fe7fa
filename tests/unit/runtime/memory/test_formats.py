"""What the backends read and write: stream replies, embeddings, Qdrant and Weaviate shapes."""

from __future__ import annotations

import math

import pytest

from ark_runtime.memory.base import MAX_RESULT_CHARS, MAX_TASK_CHARS, MemoryBackendError, Scope, entry_for
from ark_runtime.memory.embeddings import HASH_DIMENSION, hash_vector, parse_embedding
from ark_runtime.memory.redis_memory import memory_key, parse_entries, same_server
from ark_runtime.memory.vector.base import dimension_mismatch, payload_entry
from ark_runtime.memory.vector.qdrant import collection_size
from ark_runtime.memory.vector.weaviate import class_name, class_schema, near_query, where
from ark_runtime.protocol import Result, Task


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_an_entry_cuts_long_tasks_and_answers() -> None:
    task = Task(id="t1", run="r", step="s", prompt="p" * 10_000)
    result = Result(id="t1", run="r", step="s", status="ok", output="o" * 10_000)
    entry = entry_for(task, result, 7)
    assert (len(entry.task), len(entry.result), entry.at_ms, entry.task_id) == (
        MAX_TASK_CHARS,
        MAX_RESULT_CHARS,
        7,
        "t1",
    )


def test_stream_replies_become_entries_dated_by_their_id() -> None:
    reply = [
        ["1700000000123-0", ["task", "t", "result", "r", "id", "run.s.1"]],
        ["1700000000100-3", ["task", "u", "result", "v"]],
    ]
    entries = parse_entries(reply)
    assert [(e.task, e.result, e.at_ms, e.task_id) for e in entries] == [
        ("t", "r", 1700000000123, "run.s.1"),
        ("u", "v", 1700000000100, ""),
    ]
    assert parse_entries([]) == []


@pytest.mark.parametrize(
    ("reply", "says"),
    [
        ("OK", "not a list"),
        ([["1-0"]], "wrong shape"),
        ([["x-0", ["task", "t"]]], "not a time"),
        ([[1, "task"]], "wrong shape"),
    ],
)
def test_a_stream_reply_of_another_shape_is_an_error(reply: object, says: str) -> None:
    with pytest.raises(MemoryBackendError, match=says):
        parse_entries(reply)


def test_the_key_is_per_namespace_and_scope() -> None:
    assert memory_key(Scope("shop", "writer")) == "ark:memory:shop:writer"


def test_same_server_compares_host_port_and_database() -> None:
    assert same_server("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379")
    assert same_server("redis://Redis.ark:6379/0", "redis://redis.ark/0")
    assert same_server("redis://:secret@h:1/2", "redis://h:1/2")
    assert not same_server("redis://h:1/0", "redis://h:1/1")
    assert not same_server("redis://h:1/0", "redis://h:2/0")
    assert not same_server("redis://h:1/0", "rediss://h:1/0")


def test_hash_vectors_are_deterministic_unit_vectors_close_for_shared_words() -> None:
    a = hash_vector("the tomato soup recipe")
    assert a == hash_vector("the tomato soup recipe")
    assert len(a) == HASH_DIMENSION
    assert math.isclose(cosine(a, a), 1.0)
    related = hash_vector("a tomato soup recipe please")
    unrelated = hash_vector("quarterly billing invoice totals")
    assert cosine(a, related) > 0.5
    assert abs(cosine(a, unrelated)) < 0.3
    assert hash_vector("") == [1.0] + [0.0] * (HASH_DIMENSION - 1)


def test_an_embeddings_response_gives_its_first_vector() -> None:
    assert parse_embedding({"data": [{"embedding": [1, 0.5, -2e-3], "index": 0}]}, "x") == [1.0, 0.5, -0.002]


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"data": []},
        {"data": [{"embedding": "nope"}]},
        {"data": [{"embedding": []}]},
        {"data": [{"embedding": [1, "2"]}]},
        {"data": [{"embedding": [1, True]}]},
        {"data": [{"embedding": [0.0] * 20_000}]},
        {"error": {"message": "no"}},
    ],
)
def test_a_malformed_embeddings_response_is_an_error_naming_the_endpoint(data: object) -> None:
    with pytest.raises(MemoryBackendError, match="the endpoint sent a malformed"):
        parse_embedding(data, "the endpoint")


def test_qdrant_collection_size() -> None:
    data = {"result": {"config": {"params": {"vectors": {"size": 384, "distance": "Cosine"}}}}}
    assert collection_size(data, "c") == 384
    with pytest.raises(MemoryBackendError, match="named vectors"):
        collection_size({"result": {"config": {"params": {"vectors": {"text": {"size": 3}}}}}}, "c")
    with pytest.raises(MemoryBackendError, match="without its vector parameters"):
        collection_size({"result": {}}, "c")


def test_dimension_mismatch_names_both_dimensions() -> None:
    message = str(dimension_mismatch("qdrant", "agent-memories", 3, 4))
    assert "'agent-memories' holds 3-dimensional vectors but the embeddings are 4-dimensional" in message


def test_payloads_become_entries() -> None:
    entry = payload_entry({"task": "t", "result": "r", "taskId": "i", "at": 12.0}, 0.9, "x")
    assert (entry.task, entry.result, entry.task_id, entry.at_ms, entry.score) == ("t", "r", "i", 12, 0.9)
    for bad in (None, {"task": "t"}, {"at": "12"}, {"at": True}):
        with pytest.raises(MemoryBackendError, match="x returned a point"):
            payload_entry(bad, None, "x")


def test_weaviate_class_names() -> None:
    assert class_name("agent-memories") == "AgentMemories"
    assert class_name("team_a.notes") == "TeamANotes"
    assert class_name("2024-logs") == "C2024Logs"
    assert class_schema("AgentMemories")["vectorizer"] == "none"


def test_weaviate_query_inlines_values_as_graphql() -> None:
    query = near_query("AgentMemories", [0.5, -1.0], 'ns/a"b', 1700, 3, 0.75)
    assert query == (
        "{ Get { AgentMemories(nearVector: {vector: [0.5, -1.0], distance: 0.25}, where: {operator: And, "
        'operands: [{path: ["scope"], operator: Equal, valueText: "ns/a\\"b"}, {path: ["at"], operator: '
        "GreaterThanEqual, valueNumber: 1700}]}, limit: 3) { scope task result taskId at _additional { "
        "distance } } } }"
    )


def test_weaviate_filters_are_plain_json_for_rest() -> None:
    import json

    assert json.loads(json.dumps(where("ns/a", "LessThan", 5))) == {
        "operator": "And",
        "operands": [
            {"path": ["scope"], "operator": "Equal", "valueText": "ns/a"},
            {"path": ["at"], "operator": "LessThan", "valueNumber": 5},
        ],
    }
