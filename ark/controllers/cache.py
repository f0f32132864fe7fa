"""Reading one resource from the informer caches of the namespaces the operator watches.

The operator watches either every namespace (one cluster-wide informer per resource) or a list
of namespaces (one informer per namespace). :class:`Cache` hides which, so reconcilers read
``cache.get(namespace, name)`` either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ark.kube.informer import InformerFactory, SharedInformer
from ark.kube.resources import Resource
from ark.kube.store import IndexFunc

Obj = dict[str, Any]


class Cache:
    """The cached objects of one resource across the watched namespaces."""

    def __init__(
        self,
        factory: InformerFactory,
        resource: Resource,
        namespaces: Sequence[str] = (),
        *,
        label_selector: str | None = None,
    ) -> None:
        self.resource = resource
        watched: list[str | None] = [*namespaces] or [None]
        self.informers: dict[str | None, SharedInformer] = {
            namespace: factory.informer(resource, namespace=namespace, label_selector=label_selector)
            for namespace in watched
        }

    def _informer(self, namespace: str) -> SharedInformer | None:
        return self.informers.get(namespace) or self.informers.get(None)

    def get(self, namespace: str, name: str) -> Obj | None:
        """The cached object, or None (also for a namespace that is not watched)."""
        informer = self._informer(namespace)
        return informer.store.get(f"{namespace}/{name}") if informer is not None else None

    def add_indexers(self, indexers: dict[str, IndexFunc]) -> None:
        """Add named indexes to every informer's store."""
        for informer in self.informers.values():
            informer.store.add_indexers(indexers)

    def index_keys(self, index: str, value: str) -> list[str]:
        """Keys of the objects indexed under ``value``, across namespaces."""
        return [
            key for informer in self.informers.values() for key in informer.store.index_keys(index, value)
        ]

    def by_index(self, index: str, value: str) -> list[Obj]:
        """The objects indexed under ``value``, across namespaces."""
        return [obj for informer in self.informers.values() for obj in informer.store.by_index(index, value)]

    def all(self) -> list[Obj]:
        """Every cached object of every watched namespace."""
        return [obj for informer in self.informers.values() for obj in informer.store]

    def in_namespace(self, namespace: str) -> list[Obj]:
        """Every cached object of ``namespace``."""
        informer = self._informer(namespace)
        return informer.store.by_namespace(namespace) if informer is not None else []
