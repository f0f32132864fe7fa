"""Fixtures of the operator e2e tests: CRDs, the operator's ServiceAccount with manifests/rbac."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from localcluster import ControlPlane

from ark.kube.client import KubeClient
from tests.conftest import Kubectl
from tests.e2e.operator.support import Account, OperatorProcess, render_rbac, request_token, token_kubeconfig
from tests.integration.controllers.support import install_crds


@pytest.fixture(scope="session")
def ark_crds(kubectl: Kubectl) -> None:
    install_crds(kubectl)


@pytest.fixture
async def kube(api_client: Any) -> KubeClient:
    """The cluster admin (the test's own hands, not the operator's)."""
    return KubeClient(api_client)


@pytest.fixture
async def account(
    ark_crds: None,
    kube: KubeClient,
    kubectl: Kubectl,
    control_plane: ControlPlane,
    namespace: str,
    tmp_path: Path,
) -> AsyncIterator[Account]:
    """manifests/rbac applied for ``namespace``, and a kubeconfig with the ServiceAccount's token."""
    docs = render_rbac(namespace, kubectl, tmp_path)
    kubectl("apply", "-f", str(tmp_path / "rbac.yaml"))
    name = next(d["metadata"]["name"] for d in docs if d["kind"] == "ServiceAccount")
    cluster_objects = tuple(
        f"{d['kind'].lower()}/{d['metadata']['name']}" for d in docs if d["kind"].startswith("Cluster")
    )
    token = await request_token(kube, namespace, name)
    path = token_kubeconfig(control_plane.kubeconfig, token, namespace, tmp_path / "operator.kubeconfig")
    yield Account(namespace, name, token, path, cluster_objects)
    kubectl("delete", "--ignore-not-found", *cluster_objects)


@pytest.fixture
def start_operator(account: Account, redis_url: str) -> Iterator[Any]:
    """Start ``ark-operator`` processes under the ServiceAccount; all are stopped afterwards."""
    started: list[OperatorProcess] = []

    def start(*extra: str) -> OperatorProcess:
        proc = OperatorProcess(account.kubeconfig, account.namespace, redis_url, *extra)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        with contextlib.suppress(Exception):
            proc.terminate(timeout=10)
        proc.close()
