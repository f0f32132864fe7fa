"""Fixtures of the runtime integration tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.integration.runtime.queue_support import Results
from tests.integration.runtime.support import ModelServer
from tests.support.weaviate import WeaviateServer


@pytest.fixture
def model_server() -> Iterator[ModelServer]:
    """A loopback server speaking the Anthropic and OpenAI wire formats."""
    server = ModelServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def agent_name() -> str:
    """A unique agent name, so tests sharing the session's Redis never share streams."""
    return f"agent-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def results(redis_url: str) -> AsyncIterator[Results]:
    """Results of the runtimes' tasks in namespace ``rt``, read from the session's Redis."""
    collected = Results(redis_url)
    yield collected
    await collected.redis.aclose()


@pytest.fixture(scope="session")
def weaviate() -> Iterator[WeaviateServer]:
    """One real Weaviate for the session, on loopback through its private network namespace."""
    server = WeaviateServer()
    server.start()
    yield server
    server.stop()
