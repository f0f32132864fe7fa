"""Fixtures of the runtime integration tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.integration.runtime.support import ModelServer


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
