"""`make cluster-up` / `make cluster-down` start and stop exactly their own processes.

``up`` brings a cluster whose agent pods really run: the operator under its own ServiceAccount,
the pod runner, Redis. ``down`` leaves nothing behind, not even the agent processes the runner
started.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from localcluster import ClusterState

from tests.support.wait import wait_for_sync

pytestmark = pytest.mark.cluster

SCRIPT = Path(__file__).resolve().parents[3] / "hack" / "localcluster.py"
AGENT = {
    "apiVersion": "arkonis.dev/v1alpha1",
    "kind": "ArkAgent",
    "metadata": {"name": "hello", "namespace": "default"},
    "spec": {"replicas": 1, "model": "llama3.2", "systemPrompt": "Say hello."},
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=240)


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_up_runs_agents_for_real_and_down_leaves_nothing_behind(tmp_path: Path, kubectl_path: str) -> None:
    state_dir = tmp_path / "state"
    up = run("up", "--state", str(state_dir), "--agent-env", "AGENT_PROVIDER=mock", "--agent-env=OTHER=x")
    assert up.returncode == 0, up.stderr
    assert "control plane ready (warm start) in" in up.stdout
    assert "agent env: AGENT_PROVIDER, OTHER" in up.stdout
    state = ClusterState.load(state_dir / "state.json")

    def kubectl(*args: str, config: str = state.kubeconfig, stdin: str | None = None) -> str:
        return subprocess.run(
            [kubectl_path, f"--kubeconfig={config}", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            input=stdin,
        ).stdout

    runtime_pid = 0
    try:
        assert [p.name for p in state.procs] == [
            "etcd",
            "kube-apiserver",
            "kube-controller-manager",
            "kube-scheduler",
            "kwok",
            "redis",
            "ark-operator",
            "podrunner",
        ]
        assert all(p.alive() for p in state.procs)
        assert state.agent_env == ["AGENT_PROVIDER", "OTHER"]
        assert run("status", "--state", str(state_dir)).returncode == 0
        assert kubectl("get", "nodes", "-o", "name").strip() == "node/kwok-node-0"
        # The operator runs under its ServiceAccount's token, not as the admin.
        whoami = json.loads(kubectl("auth", "whoami", "-o", "json", config=state.operator_kubeconfig))
        assert whoami["status"]["userInfo"]["username"] == "system:serviceaccount:ark-system:ark-operator"

        kubectl("apply", "-f", "-", stdin=yaml.safe_dump(AGENT))

        def running_pod() -> dict[str, object] | None:
            pods = json.loads(kubectl("get", "pods", "-l", "arkonis.dev/deployment=hello", "-o", "json"))
            for pod in pods["items"]:
                ready = {c["type"]: c["status"] for c in pod["status"].get("conditions") or ()}.get("Ready")
                statuses = pod["status"].get("containerStatuses") or [{}]
                if ready == "True" and statuses[0].get("containerID", "").startswith("podrunner://"):
                    return dict(statuses[0])
            return None

        status = wait_for_sync(running_pod, timeout=90, message="a Ready agent pod run by the pod runner")
        runtime_pid = int(str(status["containerID"]).removeprefix("podrunner://"))
        environ = Path(f"/proc/{runtime_pid}/environ").read_bytes().split(b"\0")
        assert b"AGENT_PROVIDER=mock" in environ
        assert f"TASK_QUEUE_URL={state.redis_url}".encode() in environ
        (log,) = Path(state.pod_logs).glob("default_hello-agent-*.log")
        assert '"msg": "agent started"' in log.read_text()

        # A second `up` reuses the running cluster instead of starting another.
        again = run("up", "--state", str(state_dir))
        assert "already running" in again.stdout
    finally:
        down = run("down", "--state", str(state_dir))
    assert down.returncode == 0, down.stderr
    assert not any(p.alive() for p in state.procs)
    assert runtime_pid
    assert not alive(runtime_pid)
    assert not Path(state.workdir).exists()
    assert not state_dir.exists()


def test_a_bad_agent_env_is_refused_before_anything_starts(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    refused = run("up", "--state", str(state_dir), "--agent-env", "OPENAI_API_KEY")
    assert refused.returncode == 1
    assert refused.stderr == "error: --agent-env must be KEY=VALUE; entry 1 has no '='\n"
    assert not state_dir.exists()
