"""Team runs in a cluster whose agent pods really run: the operator as its own process under its
ServiceAccount, the pod runner starting real ``ark-runtime`` processes for agent pods, a Redis of
this package's own (the tests restart it), and the ``ark`` command as users type it."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from localcluster import ControlPlane, RedisServer

from tests.conftest import Kubectl
from tests.e2e.operator.support import Account, OperatorProcess
from tests.support.runner_cluster import (
    PodRunnerProcess,
    account,
    kube,
    namespace,
    pod_runner,
    runner_cluster,
    runner_kubectl,
)
from tests.support.wait import wait_for_sync

__all__ = [
    "PodRunnerProcess",
    "account",
    "kube",
    "namespace",
    "pod_runner",
    "runner_cluster",
    "runner_kubectl",
]

ARK = str(Path(sys.executable).parent / "ark")
StartOperator = Callable[..., OperatorProcess]


@pytest.fixture(scope="package")
def queue() -> Iterator[RedisServer]:
    """The task queue of this package (tests restart it, so it is not the session's)."""
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def start_operator(account: Account, queue: RedisServer) -> Iterator[StartOperator]:
    """``start_operator(*flags, env={...}, ready=True)``: an ``ark-operator`` process for the test's
    namespace under its ServiceAccount; every one still running is stopped afterwards."""
    started: list[OperatorProcess] = []

    def start(*flags: str, env: dict[str, str] | None = None, ready: bool = True) -> OperatorProcess:
        proc = OperatorProcess(account.kubeconfig, account.namespace, queue.url, *flags, env=env)
        started.append(proc)
        if ready:
            wait_for_sync(proc.ready, timeout=60, message="operator /readyz")
        return proc

    yield start
    for proc in started:
        with contextlib.suppress(Exception):
            proc.terminate(timeout=15)
        proc.close()


@dataclass(frozen=True)
class Ark:
    """The ``ark`` console script against the test cluster, in the test's namespace."""

    kubeconfig: Path
    namespace: str

    def __call__(
        self, *args: str, timeout: float = 180, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **(env or {}), "KUBECONFIG": str(self.kubeconfig)}
        return subprocess.run(
            [ARK, *args, "-n", self.namespace], capture_output=True, text=True, env=env, timeout=timeout
        )


@pytest.fixture
def ark(runner_cluster: ControlPlane, namespace: str) -> Ark:
    """``ark(...)`` as a user with the admin kubeconfig runs it."""
    return Ark(runner_cluster.kubeconfig, namespace)


@pytest.fixture
def cluster_kubectl(runner_kubectl: Kubectl, namespace: str) -> Kubectl:
    """kubectl in the test's namespace."""

    def run(*args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return runner_kubectl(*args, "-n", namespace, check=check, input=input)

    return run
