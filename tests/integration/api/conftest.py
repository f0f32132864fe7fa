"""The CRDs installed once per session in the test control plane."""

from __future__ import annotations

from pathlib import Path

import pytest

from ark.api import ALL_KINDS
from tests.conftest import Kubectl

REPO = Path(__file__).resolve().parents[3]
CRD_DIR = REPO / "manifests" / "crd"
SAMPLES = REPO / "manifests" / "samples"


@pytest.fixture(scope="session")
def crds(kubectl: Kubectl) -> list[str]:
    """Apply manifests/crd (kustomize) and wait until every CRD is established; return their names."""
    kubectl("apply", "--server-side", "--force-conflicts", "-k", str(CRD_DIR))
    names = [f"{cls.info.plural}.arkonis.dev" for cls in ALL_KINDS]
    kubectl("wait", "--for=condition=Established", "--timeout=60s", *(f"crd/{name}" for name in names))
    return names
