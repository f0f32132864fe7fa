"""``ark run`` honours ArkMemory documents: in-process memory without a Redis, and the warnings."""

from __future__ import annotations

from pathlib import Path

from ark.cli.run_setup import prepare
from tests.unit.cli.support import ark, loopback, system_prompt, text_reply, user_prompt, write

AGENT = """
apiVersion: arkonis.dev/v1alpha1
kind: ArkAgent
metadata: {name: chef, namespace: kitchen}
spec:
  model: llama3.2
  systemPrompt: You cook.
  memoryRef: {name: chef-memory}
"""

TEAM = """
---
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata: {name: menu, namespace: kitchen}
spec:
  roles:
    - {name: starter, arkAgent: chef}
    - {name: main, arkAgent: chef}
  pipeline:
    - {role: starter, inputs: {dish: "{{ .input.starter }}"}}
    - {role: main, dependsOn: [starter], inputs: {dish: "{{ .input.main }}"}}
"""

REDIS_MEMORY = """
---
apiVersion: arkonis.dev/v1alpha1
kind: ArkMemory
metadata: {name: chef-memory, namespace: kitchen}
spec:
  backend: redis
  redis: {secretRef: {name: memory-redis}, maxEntries: 10}
"""


def echo(body: dict[str, object]) -> dict[str, object]:
    return text_reply(f"cooked {user_prompt(body).splitlines()[-1]}")  # type: ignore[arg-type]


def test_without_a_redis_the_agent_remembers_in_process_for_the_run(tmp_path: Path) -> None:
    path = write(tmp_path, "menu.yaml", AGENT + REDIS_MEMORY + TEAM)
    with loopback(echo) as server:
        done = ark("run", path, "-i", "starter=tomato soup", "-i", "main=risotto", env=server.env())
    assert done.returncode == 0, done.stderr
    assert (
        "ark run: warning: ArkMemory/chef-memory: no Redis URL (its Secret is not among the given files and "
        "--memory-redis-url is not given); chef remembers in this process, for this run only"
    ) in done.stderr
    first, second = (user_prompt(body) for body in server.requests)
    assert first == "dish: tomato soup\n"
    assert second.startswith("<ark:memory>\n")
    assert "Task: dish: tomato soup\nResult: cooked dish: tomato soup" in second
    assert second.endswith("</ark:memory>\n\ndish: risotto\n")
    assert "what you remember from earlier tasks" in system_prompt(server.requests[0])


def test_a_memory_ref_not_among_the_files_is_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "menu.yaml", AGENT + TEAM)
    with loopback(echo) as server:
        done = ark("run", path, "-i", "starter=a", "-i", "main=b", env=server.env())
    assert done.returncode == 0, done.stderr
    assert (
        'ark run: warning: ArkAgent/chef: memoryRef "chef-memory" is not among the given files; '
        "the agent runs without memory"
    ) in done.stderr
    assert [user_prompt(b) for b in server.requests] == ["dish: a\n", "dish: b\n"]
    assert "what you remember" not in system_prompt(server.requests[0])


def test_a_memory_that_cannot_work_is_a_warning_and_the_run_goes_on(tmp_path: Path) -> None:
    pinecone = """
---
apiVersion: arkonis.dev/v1alpha1
kind: ArkMemory
metadata: {name: chef-memory, namespace: kitchen}
spec:
  backend: vector-store
  vectorStore: {provider: pinecone, endpoint: "https://index.pinecone.io"}
"""
    path = write(tmp_path, "menu.yaml", AGENT + pinecone + TEAM)
    done = ark("run", path, "--provider", "mock", "-i", "starter=a", "-i", "main=b")
    assert done.returncode == 0, done.stderr
    assert (
        "ark run: warning: ArkMemory/chef-memory (agent chef): vector-store provider 'pinecone' is not "
        "supported by this runtime (qdrant and weaviate are); the agent runs without memory"
    ) in done.stderr


def test_the_redis_url_comes_from_the_secret_document_or_the_flag() -> None:
    secret = """
---
apiVersion: v1
kind: Secret
metadata: {name: memory-redis, namespace: kitchen}
stringData: {REDIS_URL: "redis://127.0.0.1:6399/3"}
"""
    texts = [("menu.yaml", AGENT + REDIS_MEMORY + secret + TEAM)]
    run = prepare(texts, team_name=None, given_inputs={"starter": "a", "main": "b"})
    setup = run.team.agents["chef"].memory
    assert setup is not None
    assert (setup.config.redis_url, setup.config.redis_max_entries, setup.namespace) == (
        "redis://127.0.0.1:6399/3",
        10,
        "kitchen",
    )
    assert not setup.in_process
    flagged = prepare(
        texts, team_name=None, given_inputs={"starter": "a", "main": "b"}, memory_redis_url="redis://x:1/0"
    )
    assert flagged.team.agents["chef"].memory is not None
    assert flagged.team.agents["chef"].memory.config.redis_url == "redis://x:1/0"
