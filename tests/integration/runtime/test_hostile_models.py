"""``ark run`` (the providers agent pods run) against model servers that misbehave on purpose.

Each case is a real ``ark run`` process against the raw-socket :class:`HostileServer`: its exit
code, its message and its peak RSS (its own ``VmHWM`` at exit) are what a user
would see and what an agent pod's memory limit would see.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.hostile import HostileServer
from tests.support.measured import Measured, run_measured

ARK = str(Path(sys.executable).parent / "ark")
REPO = Path(__file__).resolve().parents[3]
TIMEOUT_SECONDS = 12
RSS_LIMIT_MB = 200

TEAM = """
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata: {{name: hostile}}
spec:
  roles:
    - name: writer
      model: {model}
      systemPrompt: You write.
      limits: {{timeoutSeconds: {timeout}}}
  pipeline:
    - role: writer
      inputs: {{prompt: Write something.}}
"""

# What each behaviour must be reported as (the message names the URL called, too).
EXPECTED = {
    "endless": "sent a response body larger than 1.244 MiB; stopped reading it there",
    "huge": "sent a response body larger than 1.244 MiB; stopped reading it there",
    "gzip-bomb": "the gzip body inflates more than 200:1",
    "deflate-bomb": "the deflate body inflates more than 200:1",
    "drip": "before the task deadline",
    "huge-headers": "sent response headers larger than 100 KiB; refused without reading them",
    "big-headers": "bytes of response headers, more than 64 KiB",
}


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    server = HostileServer()
    server.start()
    yield server
    server.stop()


def ark_run(tmp_path: Path, provider: str, base_url: str, timeout: int = TIMEOUT_SECONDS) -> Measured:
    model = "claude-test" if provider == "anthropic" else "gpt-test"
    team = tmp_path / "team.yaml"
    team.write_text(TEAM.format(model=model, timeout=timeout))
    ours = ("OPENAI_", "ANTHROPIC_", "ARK_", "AGENT_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env.update(
        {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": base_url}
        if provider == "openai"
        else {"ANTHROPIC_API_KEY": "sk-ant-test", "ANTHROPIC_BASE_URL": base_url}
    )
    return run_measured(ARK, ["run", str(team), "--provider", provider], env, timeout=60, cwd=REPO)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("behaviour", list(EXPECTED))
def test_a_hostile_model_server_fails_the_run_clearly_with_flat_memory(
    tmp_path: Path, hostile: HostileServer, provider: str, behaviour: str
) -> None:
    base = f"{hostile.url}/{behaviour}" + ("/v1" if provider == "openai" else "")
    done = ark_run(tmp_path, provider, base)
    path = "/v1/chat/completions" if provider == "openai" else "/v1/messages"
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith('ark run: failed: step "writer": '), done.stderr
    assert EXPECTED[behaviour] in done.stderr
    assert f"{hostile.url}/{behaviour}{path}" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert done.peak_rss_mb < RSS_LIMIT_MB, f"peak RSS {done.peak_rss_mb:.0f} MB"
    # Cut off at the deadline (the drip) or at once (every cap), never later.
    assert done.seconds < TIMEOUT_SECONDS + 4 if behaviour == "drip" else done.seconds < TIMEOUT_SECONDS / 2
