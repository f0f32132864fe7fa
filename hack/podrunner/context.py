"""What the pod and container workers share: the runner's settings and its view of the cluster.

Interface::

    settings = Settings(node="kwok-node-0", repository=DEFAULT_REPOSITORY, bin_dir=..., log_dir=...)
    settings.image_path                          # PATH of the "image": the bin dir, then the usual dirs

    class Cluster(Protocol):                     # implemented by the runner
        client: KubeClient; events: EventRecorder; http: httpx.AsyncClient; settings: Settings
        services: ServiceProxy | None            # with --sandbox: the Services' names and proxy
        def configmap(self, namespace, name) -> dict | None   # from the informer caches
        def secret(self, namespace, name) -> dict | None
        def allocatable(self) -> Mapping[str, str]             # the node's status.allocatable
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from ark.kube.client import KubeClient
from ark.kube.events import EventRecorder
from podrunner.stages import DEFAULT_REPOSITORY

if TYPE_CHECKING:
    from podrunner.services import ServiceProxy

Obj = dict[str, Any]
NODE_NAME = "kwok-node-0"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Settings:
    """How the runner runs pods."""

    node: str = NODE_NAME
    repository: str = DEFAULT_REPOSITORY
    bin_dir: Path = field(default_factory=lambda: Path(sys.executable).parent)
    """The image's programs: the venv's console scripts ``ark-runtime`` and ``ark-operator``."""
    log_dir: Path = Path("podrunner-logs")
    backoff_base: float = 10.0
    backoff_cap: float = 300.0
    shutdown_grace: float = 8.0
    """On the runner's own SIGTERM, the longest a container gets to stop before SIGKILL."""
    sandbox: bool = False
    """Each container in its own mount namespace (volumes, /etc/hosts), Services proxied, the
    redis image run too, the API server's service-link variables set (``--sandbox``; needs root)."""
    data_dir: Path = Path("podrunner-data")
    """With ``sandbox``: the pods' volumes and writable layers, one directory per pod."""

    @property
    def image_path(self) -> str:
        """``PATH`` as the image sets it: its programs first (a pod's own ``PATH`` still wins)."""
        return f"{self.bin_dir}:{SYSTEM_PATH}"


class Cluster(Protocol):
    """The runner's clients and caches, as the workers use them."""

    client: KubeClient
    events: EventRecorder
    http: httpx.AsyncClient
    settings: Settings
    services: ServiceProxy | None

    def configmap(self, namespace: str, name: str) -> Obj | None:
        """A cached ConfigMap, or None."""

    def secret(self, namespace: str, name: str) -> Obj | None:
        """A cached Secret, or None."""

    def allocatable(self) -> Mapping[str, str]:
        """The node's ``status.allocatable`` (limits the downward API reports when a container sets none)."""
