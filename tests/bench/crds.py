"""The benchmarks' cluster set-up: ark's CRDs installed and established, namespaces created."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
KUBECTL = str(Path(sys.executable).parent / "kubectl")


def install_crds(kubeconfig: str | Path, *namespaces: str) -> None:
    """Apply ``manifests/crd``, wait until every CRD is established, then create ``namespaces``."""
    kubectl = [KUBECTL, f"--kubeconfig={kubeconfig}"]
    subprocess.run(
        [*kubectl, "apply", "--server-side", "-k", str(REPO / "manifests" / "crd")],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [*kubectl, "wait", "--for=condition=Established", "crd", "--all"], check=True, capture_output=True
    )
    for namespace in namespaces:
        subprocess.run([*kubectl, "create", "namespace", namespace], check=True, capture_output=True)
