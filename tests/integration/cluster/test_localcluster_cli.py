"""`make cluster-up` / `make cluster-down` start and stop exactly their own processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from localcluster import ClusterState

pytestmark = pytest.mark.cluster

SCRIPT = Path(__file__).resolve().parents[3] / "hack" / "localcluster.py"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=180)


def test_up_then_down_leaves_nothing_behind(tmp_path: Path, kubectl_path: str) -> None:
    state_dir = tmp_path / "state"
    up = run("up", "--state", str(state_dir), "--redis")
    assert up.returncode == 0, up.stderr
    assert "control plane ready (warm start) in" in up.stdout
    state = ClusterState.load(state_dir / "state.json")
    try:
        assert {p.name for p in state.procs} == {
            "etcd",
            "kube-apiserver",
            "kube-controller-manager",
            "kube-scheduler",
            "kwok",
            "redis",
        }
        assert all(p.alive() for p in state.procs)
        assert run("status", "--state", str(state_dir)).returncode == 0
        nodes = subprocess.run(
            [kubectl_path, f"--kubeconfig={state.kubeconfig}", "get", "nodes", "-o", "name"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert nodes.stdout.strip() == "node/kwok-node-0"
        # A second `up` reuses the running cluster instead of starting another.
        again = run("up", "--state", str(state_dir), "--redis")
        assert "already running" in again.stdout
    finally:
        down = run("down", "--state", str(state_dir))
    assert down.returncode == 0, down.stderr
    assert not any(p.alive() for p in state.procs)
    assert not Path(state.workdir).exists()
    assert not state_dir.exists()
