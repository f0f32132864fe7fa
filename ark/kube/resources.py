"""Descriptions of API resources (group, version, plural, kind, scope) and their URL paths.

Interface::

    CONFIGMAPS = Resource("", "v1", "configmaps", "ConfigMap")
    CONFIGMAPS.path(namespace="ns", name="cm", subresource="status")
    CONFIGMAPS.api_version                          # "v1" / "apps/v1"
    CONFIGMAPS.builtin                              # strategic-merge patches allowed
    Resource.custom("arkonis.dev", "v1alpha1", "arkagents", "ArkAgent")

A ``Resource`` is a value (hashable), used as the key of shared informers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

# API groups served by kube-apiserver itself; only their types accept strategic-merge patches.
_BUILTIN_GROUPS = frozenset(
    {
        "",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "apps",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "autoscaling",
        "batch",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "internal.apiserver.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "policy",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
        "storagemigration.k8s.io",
    }
)


@dataclass(frozen=True)
class Resource:
    """One REST resource: ``/apis/{group}/{version}[/namespaces/{ns}]/{plural}``."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    builtin: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        if self.group in _BUILTIN_GROUPS:
            object.__setattr__(self, "builtin", True)

    @classmethod
    def custom(cls, group: str, version: str, plural: str, kind: str, *, namespaced: bool = True) -> Resource:
        """A custom resource (served through a CRD, so no strategic-merge patches)."""
        return cls(group, version, plural, kind, namespaced)

    @property
    def api_version(self) -> str:
        """The ``apiVersion`` of objects of this resource."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        """``plural.group`` (``configmaps`` for the core group), as RBAC and errors name it."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def path(
        self, namespace: str | None = None, name: str | None = None, subresource: str | None = None
    ) -> str:
        """The URL path of the collection, or of one object (and its subresource)."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{quote(namespace, safe='')}"
        elif not self.namespaced and namespace:
            raise ValueError(f"{self.group_resource} is cluster-scoped; got namespace {namespace!r}")
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{quote(name, safe='')}"
            if subresource:
                base += f"/{subresource}"
        elif subresource:
            raise ValueError("a subresource needs an object name")
        return base

    def __str__(self) -> str:
        return f"{self.group_resource}/{self.version}"


NAMESPACES = Resource("", "v1", "namespaces", "Namespace", namespaced=False)
CONFIGMAPS = Resource("", "v1", "configmaps", "ConfigMap")
SECRETS = Resource("", "v1", "secrets", "Secret")
SERVICES = Resource("", "v1", "services", "Service")
SERVICE_ACCOUNTS = Resource("", "v1", "serviceaccounts", "ServiceAccount")
PODS = Resource("", "v1", "pods", "Pod")
EVENTS = Resource("", "v1", "events", "Event")
DEPLOYMENTS = Resource("apps", "v1", "deployments", "Deployment")
REPLICASETS = Resource("apps", "v1", "replicasets", "ReplicaSet")
JOBS = Resource("batch", "v1", "jobs", "Job")
LEASES = Resource("coordination.k8s.io", "v1", "leases", "Lease")
CUSTOM_RESOURCE_DEFINITIONS = Resource(
    "apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", namespaced=False
)
