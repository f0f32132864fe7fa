"""kubernetes_asyncio is loaded lazily: the operator does not pay for ~860 generated modules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ark.kube import lazy_import

PROBE = """
import json, sys
import ark.kube
loaded = [m for m in sys.modules if m.startswith("kubernetes_asyncio")]
import kubernetes_asyncio
from kubernetes_asyncio import client, config, watch
from kubernetes_asyncio.client import rest
from kubernetes_asyncio.client.models.v1_pod import V1Pod
print(json.dumps({
    "loaded_by_ark_kube": len(loaded),
    "version": kubernetes_asyncio.__version__,
    "core_v1": client.CoreV1Api.__module__,
    "same_pod_class": client.models.V1Pod is V1Pod is client.V1Pod,
    "rest": rest.__name__,
    "watch": watch.Watch.__name__,
    "loader": config.load_kube_config.__name__,
}))
"""


def test_importing_ark_kube_loads_only_the_transport_yet_everything_stays_reachable() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    seen = json.loads(result.stdout)
    assert seen["loaded_by_ark_kube"] < 40  # the eager package loads about 860
    assert seen["version"] == "36.1.0"
    assert seen["core_v1"] == "kubernetes_asyncio.client.api.core_v1_api"
    assert seen["same_pod_class"] is True
    assert (seen["rest"], seen["watch"], seen["loader"]) == (
        "kubernetes_asyncio.client.rest",
        "Watch",
        "load_kube_config",
    )


def test_install_leaves_an_already_imported_package_alone() -> None:
    import kubernetes_asyncio

    assert lazy_import.install() is False
    assert sys.modules["kubernetes_asyncio"] is kubernetes_asyncio


def test_exports_are_read_from_the_package_init(tmp_path: Path) -> None:
    init = tmp_path / "__init__.py"
    init.write_text(
        "from __future__ import absolute_import\n"
        '__version__ = "1.2.3"\n'
        "import kubernetes_asyncio.client as client\n"
        "from kubernetes_asyncio.client.models.v1_pod import V1Pod\n"
        "from kubernetes_asyncio.client.api.core_v1_api import CoreV1Api as Core\n"
        'import json\n__all__ = ["client"]\n'
    )
    exports, constants = lazy_import.package_exports(init)
    assert exports == {
        "client": ("kubernetes_asyncio.client", None),
        "V1Pod": ("kubernetes_asyncio.client.models.v1_pod", "V1Pod"),
        "Core": ("kubernetes_asyncio.client.api.core_v1_api", "CoreV1Api"),
    }
    assert constants == {"__version__": "1.2.3", "__all__": ["client"]}
