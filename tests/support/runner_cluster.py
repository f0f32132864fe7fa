"""Fixtures of a local cluster whose ark-image pods really run: a control plane where kwok leaves
them to the pod runner, the runner itself (a real ``python -m podrunner`` process), and per test a
namespace with the operator's ServiceAccount and RBAC.

The session's control plane keeps kwok playing every pod (the controller tests rely on it), so a
package that wants real pods imports these fixtures into its conftest: it gets a control plane of
its own, started once for the package.
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from localcluster import HACK_DIR, ControlPlane
from podrunner.stages import DEFAULT_REPOSITORY

from ark.kube.client import KubeClient
from ark.kube.resources import NAMESPACES
from tests.conftest import Kubectl
from tests.e2e.operator.support import Account, render_rbac, request_token, token_kubeconfig
from tests.integration.controllers.support import install_crds
from tests.support.process import LoggedProcess
from tests.support.wait import wait_for_sync

BACKOFF_BASE = 0.2


class PodRunnerProcess(LoggedProcess):
    """``python -m podrunner`` for the test cluster's node, with a short crash back-off."""

    def __init__(self, kubeconfig: Path, log_dir: Path, *, sandbox: bool = False) -> None:
        self.log_dir = log_dir
        self.ready_file = log_dir / "ready"
        sandboxed = ["--sandbox", f"--data-dir={log_dir / 'pod-data'}"] if sandbox else []
        args = [
            sys.executable,
            "-m",
            "podrunner",
            f"--kubeconfig={kubeconfig}",
            f"--log-dir={log_dir}",
            f"--ready-file={self.ready_file}",
            f"--backoff-base={BACKOFF_BASE}",
            # The back-off starts over after 2 * max of quiet: keep that longer than a restart takes.
            "--backoff-max=30",
            *sandboxed,
        ]
        super().__init__(args, {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(HACK_DIR)}, "podrunner-")

    def ready(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"the pod runner exited with {self.proc.returncode}:\n{self.log_text()}")
        return self.ready_file.exists()

    def pod_log(self, namespace: str, pod: str) -> str:
        """What the pod's containers (and the runner, between them) wrote."""
        path = self.log_dir / f"{namespace}_{pod}.log"
        return path.read_text() if path.exists() else ""


@pytest.fixture(scope="package")
def runner_cluster() -> Iterator[ControlPlane]:
    """A control plane whose kwok leaves the ark image's pods to the pod runner."""
    cp = ControlPlane(pod_runner_repository=DEFAULT_REPOSITORY)
    cp.start()
    yield cp
    cp.stop()


@pytest.fixture(scope="package")
def runner_kubectl(runner_cluster: ControlPlane, kubectl_path: str) -> Kubectl:
    def run(*args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [kubectl_path, f"--kubeconfig={runner_cluster.kubeconfig}", *args],
            capture_output=True,
            text=True,
            input=input,
            timeout=120,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result

    install_crds(run)
    return run


@pytest.fixture(scope="package")
def pod_runner(
    runner_cluster: ControlPlane, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PodRunnerProcess]:
    """The runner, for the whole package (it is the cluster's kubelet)."""
    runner = PodRunnerProcess(runner_cluster.kubeconfig, tmp_path_factory.mktemp("pod-logs"))
    wait_for_sync(runner.ready, timeout=60, message="the pod runner's watches to sync")
    yield runner
    assert runner.terminate(timeout=30) == 0, runner.log_text()
    runner.close()


@pytest.fixture
async def kube(runner_cluster: ControlPlane) -> AsyncIterator[KubeClient]:
    """The test cluster's admin."""
    async with await KubeClient.from_kubeconfig(runner_cluster.kubeconfig) as client:
        yield client


@pytest.fixture
async def namespace(
    kube: KubeClient, pod_runner: PodRunnerProcess, request: pytest.FixtureRequest
) -> AsyncIterator[str]:
    """A fresh namespace; deleted afterwards (the runner stops what still runs in it)."""
    slug = re.sub(r"[^a-z0-9-]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    name = f"{slug}-{uuid.uuid4().hex[:6]}"
    await kube.create(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    yield name
    await kube.delete(NAMESPACES, name)


@pytest.fixture
async def account(
    kube: KubeClient, runner_kubectl: Kubectl, runner_cluster: ControlPlane, namespace: str, tmp_path: Path
) -> AsyncIterator[Account]:
    """manifests/rbac for ``namespace`` and a kubeconfig holding the operator ServiceAccount's token."""
    docs = render_rbac(namespace, runner_kubectl, tmp_path)
    runner_kubectl("apply", "-f", str(tmp_path / "rbac.yaml"))
    name = next(d["metadata"]["name"] for d in docs if d["kind"] == "ServiceAccount")
    cluster_objects = tuple(
        f"{d['kind'].lower()}/{d['metadata']['name']}" for d in docs if d["kind"].startswith("Cluster")
    )
    token = await request_token(kube, namespace, name)
    path = token_kubeconfig(runner_cluster.kubeconfig, token, namespace, tmp_path / "operator.kubeconfig")
    yield Account(namespace, name, token, path, cluster_objects)
    runner_kubectl("delete", "--ignore-not-found", *cluster_objects)
