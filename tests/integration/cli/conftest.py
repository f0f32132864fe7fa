"""The cluster CLI against the session's real API server: CRDs, a user's kubeconfig, the admin client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ark.api import ALL_KINDS
from ark.kube.client import KubeClient
from tests.conftest import Kubectl
from tests.integration.cli.support import DESK, PLANNER, ark_env, write_kubeconfig

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def ark_crds(kubectl: Kubectl) -> None:
    """Every ark CRD, installed once per session."""
    kubectl("apply", "--server-side", "--force-conflicts", "-k", str(REPO / "manifests" / "crd"))
    names = [f"crd/{cls.info.plural}.arkonis.dev" for cls in ALL_KINDS]
    kubectl("wait", "--for=condition=Established", "--timeout=60s", *names)


@pytest.fixture
async def kube(api_client: Any) -> KubeClient:
    """The admin's client (the test plays the operator with it)."""
    return KubeClient(api_client)


@pytest.fixture
def user_config(tmp_path: Path, kubeconfig: Path, namespace: str) -> Path:
    """Alice's kubeconfig: context ``work`` on the test cluster, the test's namespace as the context's."""
    return write_kubeconfig(tmp_path / "alice.kubeconfig", kubeconfig, namespace=namespace)


@pytest.fixture
def env(user_config: Path) -> dict[str, str]:
    """Alice's shell: KUBECONFIG points at her kubeconfig."""
    return ark_env(user_config)


@pytest.fixture
def teams(ark_crds: None, kubectl: Kubectl, namespace: str) -> None:
    """The pipeline team ``planner`` and the dynamic team ``desk``, applied with kubectl."""
    kubectl("apply", "-n", namespace, "-f", "-", input=PLANNER + "---\n" + DESK)
