"""The pod runner's tests: a cluster whose ark-image pods really run (``tests.support.runner_cluster``)
and per test the operator under its own ServiceAccount with ``--agent-env AGENT_PROVIDER=mock``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

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


@pytest.fixture
def operator(account: Account, redis_url: str) -> Iterator[OperatorProcess]:
    """``ark-operator`` under the ServiceAccount, every agent on the mock model (``--agent-env``)."""
    proc = OperatorProcess(
        account.kubeconfig, account.namespace, redis_url, "--agent-env=AGENT_PROVIDER=mock"
    )
    wait_for_sync(proc.ready, timeout=60, message="operator /readyz")
    yield proc
    with contextlib.suppress(Exception):
        proc.terminate(timeout=10)
    proc.close()
