"""ark installed the way users install it, into a local cluster whose pods really run: kwok leaves
the ark and redis images to a sandboxed pod runner, so the operator and Redis run as pods of the
shipped manifests, under the operator's ServiceAccount token and in-cluster configuration.

One cluster for the package; every test removes what it installed (the names are fixed: one ark
per cluster)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from localcluster import ControlPlane
from podrunner.stages import DEFAULT_REPOSITORY

from tests.support.runner_cluster import PodRunnerProcess
from tests.support.wait import wait_for_sync

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Shell:
    """Commands as a user types them, with KUBECONFIG pointing at the test cluster."""

    kubeconfig: Path
    runner: PodRunnerProcess

    @property
    def env(self) -> dict[str, str]:
        keep = {
            k: v for k, v in os.environ.items() if not k.startswith(("KUBECONFIG", "KUBERNETES_", "ARK_"))
        }
        return {
            **keep,
            "KUBECONFIG": str(self.kubeconfig),
            "PATH": f"{BIN}:{keep.get('PATH', '/usr/bin:/bin')}",
        }

    def run(
        self, *args: str, check: bool = True, timeout: float = 300, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``args`` in the repository, the user's shell; a failure shows its output."""
        done = subprocess.run(
            list(args), cwd=REPO, env=self.env, capture_output=True, text=True, timeout=timeout, input=input
        )
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done

    def kubectl(
        self, *args: str, check: bool = True, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """The venv's kubectl."""
        return self.run(str(BIN / "kubectl"), *args, check=check, input=input, timeout=120)


@pytest.fixture(scope="package")
def deploy_cluster() -> Iterator[ControlPlane]:
    """A control plane whose kwok leaves the ark and redis images to the sandboxed runner."""
    cp = ControlPlane(pod_runner_repository=DEFAULT_REPOSITORY, pod_runner_sandbox=True)
    cp.start()
    yield cp
    cp.stop()


@pytest.fixture(scope="package")
def shell(deploy_cluster: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shell]:
    """The sandboxed pod runner (the cluster's kubelet) and a user's shell on the cluster."""
    runner = PodRunnerProcess(deploy_cluster.kubeconfig, tmp_path_factory.mktemp("pods"), sandbox=True)
    wait_for_sync(runner.ready, timeout=60, message="the pod runner's watches to sync")
    yield Shell(deploy_cluster.kubeconfig, runner)
    assert runner.terminate(timeout=30) == 0, runner.log_text()
    runner.close()
