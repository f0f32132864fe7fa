"""What an ArkMemory's check is, from its spec and Secret alone; when to check again; the digest."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from ark.api import ArkMemorySpec
from ark.controllers.memory.check import Target, Verdict, plan_check, recheck_after
from ark.controllers.memory.secret import memory_digest, raw_secret_name, secret_value


def spec(**wire: Any) -> ArkMemorySpec:
    return ArkMemorySpec.model_validate(wire, by_alias=True, by_name=False)


def secret(**data: str) -> dict[str, Any]:
    return {
        "metadata": {"name": "s"},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


REDIS = {"backend": "redis", "redis": {"secretRef": {"name": "mem"}}}


def test_in_context_needs_no_check() -> None:
    assert plan_check(spec(backend="in-context"), None) == Verdict(
        True, "InContext", "in-context memory stores nothing; there is no backend to reach", retry=False
    )


def test_redis_reads_its_url_from_the_secret() -> None:
    target = plan_check(spec(**REDIS), secret(REDIS_URL="redis://:pw@memory:6379/2"))
    assert target == Target("redis", "redis://:pw@memory:6379/2")
    assert "pw" not in repr(target)
    assert plan_check(spec(**REDIS), secret(REDIS_URL="memory:6379")) == Target(
        "redis", "redis://memory:6379/0"
    )


@pytest.mark.parametrize(
    ("found", "reason", "message"),
    [
        (None, "SecretNotFound", "Secret mem (key REDIS_URL) does not exist"),
        (secret(OTHER="x"), "SecretKeyMissing", "Secret mem has no key REDIS_URL (or it is not UTF-8)"),
        (
            secret(REDIS_URL="http://x"),
            "InvalidRedisUrl",
            "REDIS_URL of Secret mem is not host:port or a redis:// URL",
        ),
        (
            secret(REDIS_URL="memory"),
            "InvalidRedisUrl",
            "REDIS_URL of Secret mem is not host:port or a redis:// URL",
        ),
    ],
)
def test_redis_problems_found_without_reaching_anything(found: Any, reason: str, message: str) -> None:
    verdict = plan_check(spec(**REDIS), found)
    assert isinstance(verdict, Verdict)
    assert (verdict.ready, verdict.reason, verdict.message) == (False, reason, message)


def test_vector_stores() -> None:
    qdrant = spec(backend="vector-store", vectorStore={"provider": "qdrant", "endpoint": "http://q:6333"})
    assert plan_check(qdrant, None) == Target("qdrant", "http://q:6333", "", "agent-memories")
    keyed = spec(
        backend="vector-store",
        vectorStore={
            "provider": "weaviate",
            "endpoint": "https://w",
            "collection": "notes",
            "secretRef": {"name": "k"},
        },
    )
    assert plan_check(keyed, secret(VECTOR_STORE_API_KEY="key-1")) == Target(
        "weaviate", "https://w", "key-1", "notes"
    )
    assert plan_check(keyed, None) == Verdict(
        False, "SecretNotFound", "Secret k (key VECTOR_STORE_API_KEY) does not exist"
    )


def test_pinecone_and_bad_endpoints_are_refused_for_good() -> None:
    pinecone = plan_check(
        spec(backend="vector-store", vectorStore={"provider": "pinecone", "endpoint": "https://p"}), None
    )
    assert isinstance(pinecone, Verdict)
    assert (pinecone.reason, pinecone.retry) == ("UnsupportedProvider", False)
    assert "vector-store provider pinecone is not supported by the agent runtime" in pinecone.message
    bad = plan_check(
        spec(backend="vector-store", vectorStore={"provider": "qdrant", "endpoint": "q:6333"}), None
    )
    assert isinstance(bad, Verdict)
    assert (bad.reason, bad.message) == (
        "InvalidEndpoint",
        "endpoint 'q:6333' is not an http:// or https:// URL",
    )


def test_recheck_backs_off_to_five_minutes_and_watches_healthy_backends() -> None:
    failed = Verdict(False, "Unreachable", "x")
    assert [recheck_after(failed, n) for n in (1, 2, 3, 4, 7, 20)] == [5.0, 10.0, 20.0, 40.0, 300.0, 300.0]
    assert recheck_after(Verdict(True, "Reachable", "x"), 0) == 300.0
    assert recheck_after(Verdict(True, "InContext", "x", retry=False), 0) is None
    assert recheck_after(Verdict(False, "UnsupportedProvider", "x", retry=False), 3) is None


def test_secret_values_and_names() -> None:
    assert secret_value(secret(REDIS_URL="r"), "REDIS_URL") == "r"
    assert secret_value({"data": {"REDIS_URL": "!!"}}, "REDIS_URL") is None
    assert secret_value(None, "REDIS_URL") is None
    assert raw_secret_name({"spec": REDIS}) == "mem"
    assert raw_secret_name({"spec": {"vectorStore": {"secretRef": {"name": "k"}}}}) == "k"
    assert raw_secret_name({"spec": "garbage"}) is None


def test_the_digest_moves_with_the_spec_and_the_secret_value_only() -> None:
    base = memory_digest(REDIS, secret(REDIS_URL="redis://a:1/0"), "REDIS_URL")
    assert base == memory_digest(REDIS, secret(REDIS_URL="redis://a:1/0"), "REDIS_URL")
    assert base != memory_digest(REDIS, secret(REDIS_URL="redis://b:1/0"), "REDIS_URL")
    assert base != memory_digest(
        {**REDIS, "redis": {"secretRef": {"name": "mem"}, "ttlSeconds": 5}},
        secret(REDIS_URL="redis://a:1/0"),
        "REDIS_URL",
    )
    assert len(base) == 16
    assert "redis://a" not in base
