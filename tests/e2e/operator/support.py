"""The operator as users run it: its own process, its own ServiceAccount and RBAC, a kubeconfig
with a bearer token; and agent processes started with the environment a kubelet would give them
(built by the pod runner's :func:`podrunner.env.kubelet_env`)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml
from localcluster import free_port
from podrunner.env import kubelet_env

from ark.kube.client import KubeClient
from tests.conftest import Kubectl
from tests.support.process import LoggedProcess

Obj = dict[str, Any]
REPO = Path(__file__).resolve().parents[3]
RBAC_DIR = REPO / "manifests" / "rbac"
RUNTIME = str(Path(sys.executable).parent / "ark-runtime")


# --------------------------------------------------------------------------- identity


@dataclass(frozen=True)
class Account:
    """The operator's ServiceAccount in a test namespace, and a kubeconfig holding its token."""

    namespace: str
    name: str
    token: str
    kubeconfig: Path
    cluster_objects: tuple[str, ...]


def render_rbac(namespace: str, kubectl: Kubectl, workdir: Path) -> list[Obj]:
    """manifests/rbac through a kustomize overlay: our namespace, names suffixed with it."""
    overlay = workdir / "rbac-overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "namespace": namespace,
                "nameSuffix": f"-{namespace}",
                "resources": [os.path.relpath(RBAC_DIR, overlay)],
            }
        )
    )
    rendered = kubectl("kustomize", str(overlay)).stdout
    (workdir / "rbac.yaml").write_text(rendered)
    return [doc for doc in yaml.safe_load_all(rendered) if doc]


async def request_token(kube: KubeClient, namespace: str, account: str) -> str:
    """A bound token for ``namespace/account`` from the TokenRequest API."""
    request = {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenRequest",
        "spec": {"expirationSeconds": 3600},
    }
    answer = await kube.request(
        "POST", f"/api/v1/namespaces/{namespace}/serviceaccounts/{account}/token", body=request
    )
    return str(answer["status"]["token"])


def token_kubeconfig(admin_kubeconfig: Path, token: str, namespace: str, path: Path) -> Path:
    """A kubeconfig for the admin kubeconfig's server (and CA) that authenticates with ``token``."""
    admin = yaml.safe_load(admin_kubeconfig.read_text())
    cluster = admin["clusters"][0]["cluster"]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "test", "cluster": cluster}],
        "users": [{"name": "operator", "user": {"token": token}}],
        "contexts": [
            {"name": "operator", "context": {"cluster": "test", "user": "operator", "namespace": namespace}}
        ],
        "current-context": "operator",
    }
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path


# --------------------------------------------------------------------------- processes


class OperatorProcess(LoggedProcess):
    """``python -m ark.operator`` with a kubeconfig, watching one namespace (or all); logs to a file."""

    def __init__(
        self,
        kubeconfig: Path,
        namespace: str | None,
        redis_url: str,
        *extra: str,
        env: dict[str, str] | None = None,
    ) -> None:
        self.metrics_port = free_port()
        self.webhook_port = free_port()
        self.service_port = free_port()
        scope = [f"--namespace={namespace}", f"--leader-election-namespace={namespace}"] if namespace else []
        self.args = [
            sys.executable,
            "-m",
            "ark.operator",
            f"--kubeconfig={kubeconfig}",
            f"--task-queue-url={redis_url}",
            f"--metrics-addr=127.0.0.1:{self.metrics_port}",
            f"--trigger-webhook-addr=127.0.0.1:{self.webhook_port}",
            f"--service-addr=127.0.0.1:{self.service_port}",
            *scope,
            *extra,
        ]
        inherited = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
        super().__init__(self.args, {**inherited, **(env or {})}, "ark-operator-")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}"

    def ready(self) -> bool:
        """True once /readyz answers 200 (caches synced)."""
        if self.proc.poll() is not None:
            raise AssertionError(f"operator exited with {self.proc.returncode}:\n{self.log_text()[-3000:]}")
        try:
            return httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def metrics(self) -> str:
        return httpx.get(f"{self.url}/metrics", timeout=5).text

    def leading(self) -> bool:
        """True while it holds the lease (its leader_election_master_status gauge)."""
        try:
            return bool(re.search(r"^leader_election_master_status\{[^}]*\} 1\.0$", self.metrics(), re.M))
        except httpx.HTTPError:
            return False

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(status.split("VmRSS:")[1].split()[0]) / 1024

    def terminate(self, timeout: float = 40) -> int:
        """SIGTERM and the exit code (the operator gets longer to release its lease)."""
        return super().terminate(timeout)


# --------------------------------------------------------------------------- the kubelet's part


def pod_env(pod: Obj, configmaps: dict[str, Obj], secrets: dict[str, Obj]) -> dict[str, str]:
    """The environment of the pod's first container, as the kubelet (and the pod runner) builds it."""
    return kubelet_env(pod, pod["spec"]["containers"][0], configmap=configmaps.get, secret=secrets.get)


class AgentProcess:
    """A real ``ark-runtime`` with exactly the given environment (plus PATH, as an image has)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = {"PATH": os.environ["PATH"], **env}
        self._log = tempfile.NamedTemporaryFile(prefix="ark-agent-", suffix=".log", delete=False)  # noqa: SIM115
        self.proc = subprocess.Popen([RUNTIME], env=self.env, stdout=self._log, stderr=subprocess.STDOUT)

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.env.get('AGENT_HEALTH_PORT', '8080')}"

    def ready(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(
                f"ark-runtime exited with {self.proc.returncode}:\n{self.log_text()[-3000:]}"
            )
        try:
            return httpx.get(f"{self.health_url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def log_text(self) -> str:
        return Path(self._log.name).read_text()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)


@contextlib.contextmanager
def agent_processes(*envs: dict[str, str]) -> Iterator[list[AgentProcess]]:
    """One ``ark-runtime`` per environment, stopped with SIGTERM on exit."""
    procs = [AgentProcess(env) for env in envs]
    try:
        yield procs
    finally:
        for proc in procs:
            proc.close()
