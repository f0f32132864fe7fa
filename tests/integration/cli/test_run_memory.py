"""``ark run`` with a redis ArkMemory on a real Redis: what one run remembers, the next recalls."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.unit.cli.support import ark, loopback, text_reply, user_prompt, write

pytestmark = pytest.mark.redis


def files(namespace: str, secret_url: str | None) -> str:
    secret = (
        f"""
---
apiVersion: v1
kind: Secret
metadata: {{name: memory-redis, namespace: {namespace}}}
stringData: {{REDIS_URL: "{secret_url}"}}
"""
        if secret_url
        else ""
    )
    return f"""
apiVersion: arkonis.dev/v1alpha1
kind: ArkAgent
metadata: {{name: chef, namespace: {namespace}}}
spec:
  model: llama3.2
  systemPrompt: You cook.
  memoryRef: {{name: chef-memory}}
---
apiVersion: arkonis.dev/v1alpha1
kind: ArkMemory
metadata: {{name: chef-memory, namespace: {namespace}}}
spec:
  backend: redis
  redis: {{secretRef: {{name: memory-redis}}, ttlSeconds: 600}}
{secret}
---
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata: {{name: dinner, namespace: {namespace}}}
spec:
  roles:
    - {{name: cook, arkAgent: chef}}
  pipeline:
    - {{role: cook, inputs: {{dish: "{{{{ .input.dish }}}}"}}}}
"""


@pytest.mark.parametrize("via", ["secret", "flag"])
def test_a_second_run_recalls_what_the_first_remembered(tmp_path: Path, redis_url: str, via: str) -> None:
    namespace = f"home-{uuid.uuid4().hex[:6]}"
    path = write(tmp_path, "dinner.yaml", files(namespace, redis_url if via == "secret" else None))
    flags = ["--memory-redis-url", redis_url] if via == "flag" else []
    with loopback(lambda body: text_reply(f"cooked {user_prompt(body).strip()}")) as server:
        first = ark("run", path, *flags, "-i", "dish=tomato soup", env=server.env())
        second = ark("run", path, *flags, "-i", "dish=risotto", env=server.env())
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert "warning" not in first.stderr
    assert user_prompt(server.requests[0]) == "dish: tomato soup\n"
    recalled = user_prompt(server.requests[1])
    assert "Task: dish: tomato soup\nResult: cooked dish: tomato soup" in recalled
    assert recalled.endswith("</ark:memory>\n\ndish: risotto\n")


def test_memory_is_per_namespace(tmp_path: Path, redis_url: str) -> None:
    first = write(tmp_path, "a.yaml", files(f"a-{uuid.uuid4().hex[:6]}", redis_url))
    second = write(tmp_path, "b.yaml", files(f"b-{uuid.uuid4().hex[:6]}", redis_url))
    with loopback(lambda body: text_reply("done")) as server:
        assert ark("run", first, "-i", "dish=soup", env=server.env()).returncode == 0
        assert ark("run", second, "-i", "dish=stew", env=server.env()).returncode == 0
    assert user_prompt(server.requests[1]) == "dish: stew\n"
