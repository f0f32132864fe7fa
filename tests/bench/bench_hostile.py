"""Peak memory of the runtime's code against hostile peers (issue 16).

- ``runtime_rss_hostile_peak``: the worst peak RSS over every hostile model server behaviour
  (endless body, 1 GiB, gzip/deflate bombs, a byte a second, huge headers) for both providers,
  each one ``ark run`` process reporting its own ``VmHWM`` at exit, and over the same behaviours behind an
  inline HTTP tool and a simple HTTP tool server (the ``tool_probe`` child's ``VmHWM``).
- ``runtime_rss_ordinary_peak``: the same ``ark run`` against an ordinary answer, for scale.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.integration.runtime.support import ModelServer, openai_text, openai_tool_call
from tests.support.hostile import BEHAVIOURS, HostileServer
from tests.support.measured import run_measured

ARK = str(Path(sys.executable).parent / "ark")
REPO = Path(__file__).resolve().parents[2]
TEAM = """
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata: {{name: bench}}
spec:
  roles:
    - {{name: writer, model: {model}, systemPrompt: You write., limits: {{timeoutSeconds: 5}}}}
  pipeline:
    - {{role: writer, inputs: {{prompt: Write.}}}}
"""


def ark_run(team_dir: Path, provider: str, base_url: str) -> float:
    team = team_dir / f"{provider}.yaml"
    team.write_text(TEAM.format(model="claude-bench" if provider == "anthropic" else "gpt-bench"))
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ANTHROPIC_", "ARK_", "AGENT_"))
    }
    prefix = "OPENAI" if provider == "openai" else "ANTHROPIC"
    env.update({f"{prefix}_API_KEY": "sk-bench", f"{prefix}_BASE_URL": base_url})
    return run_measured(
        ARK, ["run", str(team), "--provider", provider], env, timeout=60, cwd=REPO
    ).peak_rss_mb


def tool_probe(kind: str, url: str, model: ModelServer) -> float:
    model.requests.clear()
    done = subprocess.run(
        [sys.executable, "-m", "tests.integration.runtime.tool_probe", kind, url, model.openai_base],
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        check=True,
    )
    return float(json.loads(done.stdout.splitlines()[-1])["peak_rss_mb"])


def main() -> None:
    """Print the worst hostile peak and the ordinary one."""
    hostile, model = HostileServer(), ModelServer()
    hostile.start()
    model.start()

    def respond(entry: dict[str, object]) -> object:
        body = entry["body"]
        assert isinstance(body, dict)
        if any(m["role"] == "tool" for m in body["messages"]):
            return openai_text("seen")
        return openai_tool_call("call_1", body["tools"][0]["function"]["name"], {})

    model.responder = respond  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            peaks: list[float] = []
            for behaviour in BEHAVIOURS:
                peaks.append(ark_run(Path(tmp), "openai", f"{hostile.url}/{behaviour}/v1"))
                peaks.append(ark_run(Path(tmp), "anthropic", f"{hostile.url}/{behaviour}"))
                peaks.append(tool_probe("inline", f"{hostile.url}/{behaviour}", model))
                peaks.append(tool_probe("http", f"{hostile.url}/{behaviour}", model))
            ordinary = ark_run(Path(tmp), "openai", f"{hostile.url}/ordinary/v1")
        print(f"bench: runtime_rss_hostile_peak {max(peaks):.0f} MB", flush=True)
        print(f"bench: runtime_rss_ordinary_peak {ordinary:.0f} MB", flush=True)
    finally:
        model.stop()
        hostile.stop()
