"""The informer cache: objects (plain JSON dicts) by ``namespace/name`` key, with named indexes.

Interface::

    store = Indexer({NAMESPACE_INDEX: namespace_index, OWNER_UID_INDEX: owner_uid_index,
                     LABEL_INDEX: label_index})
    store.upsert(obj) -> previous | None
    store.delete(obj) -> previous | None
    store.get(key) / store.get_object(obj) / store.list() / store.keys() / len(store)
    store.by_index(NAMESPACE_INDEX, "default") -> [obj, ...]
    store.by_label("app", "web")
    store.replace(objects) -> [Delta(ADDED|UPDATED|DELETED, obj, old), ...]   # only real differences

Single-threaded by design (one asyncio loop): no locks. Objects handed out are
the stored dicts themselves; callers must treat them as read-only (copy before
changing), exactly as with client-go's cache.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

Obj = dict[str, Any]
IndexFunc = Callable[[Obj], Iterable[str]]

NAMESPACE_INDEX = "namespace"
OWNER_UID_INDEX = "owner-uid"
LABEL_INDEX = "label"


def object_key(obj: Obj) -> str:
    """``namespace/name`` for namespaced objects, ``name`` for cluster-scoped ones."""
    meta = obj["metadata"]
    namespace = meta.get("namespace")
    return f"{namespace}/{meta['name']}" if namespace else str(meta["name"])


def split_key(key: str) -> tuple[str | None, str]:
    """Inverse of :func:`object_key`: ``(namespace or None, name)``."""
    namespace, sep, name = key.partition("/")
    return (namespace, name) if sep else (None, namespace)


def resource_version(obj: Obj) -> str:
    """``metadata.resourceVersion`` or an empty string."""
    return str(obj.get("metadata", {}).get("resourceVersion", ""))


def namespace_index(obj: Obj) -> list[str]:
    """Index by ``metadata.namespace`` (cluster-scoped objects are not indexed)."""
    namespace = obj["metadata"].get("namespace")
    return [namespace] if namespace else []


def owner_uid_index(obj: Obj) -> list[str]:
    """Index by the UID of every owner reference."""
    return [ref["uid"] for ref in obj["metadata"].get("ownerReferences") or () if ref.get("uid")]


def label_index(obj: Obj) -> list[str]:
    """Index by every ``key=value`` label pair."""
    return [f"{k}={v}" for k, v in (obj["metadata"].get("labels") or {}).items()]


DEFAULT_INDEXERS: dict[str, IndexFunc] = {
    NAMESPACE_INDEX: namespace_index,
    OWNER_UID_INDEX: owner_uid_index,
    LABEL_INDEX: label_index,
}


class DeltaType(Enum):
    """What happened to an object between two states of the store."""

    ADDED = "Added"
    UPDATED = "Updated"
    DELETED = "Deleted"


@dataclass(frozen=True, slots=True)
class Delta:
    """One change: the new object (or the last known one for a delete) and the previous state."""

    type: DeltaType
    object: Obj
    old: Obj | None = None


class Indexer:
    """A keyed object store with named secondary indexes."""

    def __init__(
        self, indexers: dict[str, IndexFunc] | None = None, key_func: Callable[[Obj], str] = object_key
    ) -> None:
        self._items: dict[str, Obj] = {}
        self._key_func = key_func
        self._indexers: dict[str, IndexFunc] = dict(indexers or {})
        # index name -> indexed value -> keys; and per key the values it was indexed under.
        self._indices: dict[str, dict[str, set[str]]] = {name: {} for name in self._indexers}

    # ------------------------------------------------------------------ writes

    def upsert(self, obj: Obj) -> Obj | None:
        """Insert or replace ``obj``; returns what was stored under its key before."""
        key = self._key_func(obj)
        old = self._items.get(key)
        self._items[key] = obj
        self._reindex(key, old, obj)
        return old

    def delete(self, obj: Obj) -> Obj | None:
        """Remove the object with ``obj``'s key; returns what was stored, if anything."""
        return self.delete_key(self._key_func(obj))

    def delete_key(self, key: str) -> Obj | None:
        """Remove the object stored under ``key``; returns it, if there was one."""
        old = self._items.pop(key, None)
        if old is not None:
            self._reindex(key, old, None)
        return old

    def replace(self, objects: Iterable[Obj]) -> builtins.list[Delta]:
        """Make the store hold exactly ``objects`` and return the differences.

        An object whose ``resourceVersion`` did not change yields no delta, so a
        relist after a broken watch reports only what really happened while the
        watch was down. Deletes carry the last known state of the object.
        """
        deltas: builtins.list[Delta] = []
        seen: set[str] = set()
        for obj in objects:
            key = self._key_func(obj)
            seen.add(key)
            old = self._items.get(key)
            if old is None:
                deltas.append(Delta(DeltaType.ADDED, obj))
            elif resource_version(old) != resource_version(obj) or not resource_version(obj):
                deltas.append(Delta(DeltaType.UPDATED, obj, old))
            else:
                continue
            self._items[key] = obj
            self._reindex(key, old, obj)
        for key in [k for k in self._items if k not in seen]:
            old = self.delete_key(key)
            assert old is not None
            deltas.append(Delta(DeltaType.DELETED, old, old))
        return deltas

    def add_indexers(self, indexers: dict[str, IndexFunc]) -> None:
        """Add more indexes; existing objects are indexed immediately."""
        for name, func in indexers.items():
            if name in self._indexers:
                raise ValueError(f"index {name!r} already exists")
            self._indexers[name] = func
            index: dict[str, set[str]] = {}
            for key, obj in self._items.items():
                for value in func(obj):
                    index.setdefault(value, set()).add(key)
            self._indices[name] = index

    def _reindex(self, key: str, old: Obj | None, new: Obj | None) -> None:
        for name, func in self._indexers.items():
            index = self._indices[name]
            old_values = set(func(old)) if old is not None else set()
            new_values = set(func(new)) if new is not None else set()
            if old_values == new_values:
                continue
            for value in old_values - new_values:
                keys = index.get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del index[value]
            for value in new_values - old_values:
                index.setdefault(value, set()).add(key)

    # ------------------------------------------------------------------ reads

    def get(self, key: str) -> Obj | None:
        """The object stored under ``key``."""
        return self._items.get(key)

    def get_object(self, obj: Obj) -> Obj | None:
        """The stored object with the same key as ``obj``."""
        return self._items.get(self._key_func(obj))

    def list(self) -> builtins.list[Obj]:
        """All objects, in no particular order."""
        return list(self._items.values())

    def keys(self) -> builtins.list[str]:
        """All keys."""
        return list(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[Obj]:
        return iter(list(self._items.values()))

    def index_names(self) -> builtins.list[str]:
        """Names of the configured indexes."""
        return list(self._indexers)

    def index_keys(self, index_name: str, value: str) -> builtins.list[str]:
        """Keys of the objects indexed under ``value`` in ``index_name``."""
        if index_name not in self._indices:
            raise KeyError(f"no index named {index_name!r}")
        return sorted(self._indices[index_name].get(value, ()))

    def by_index(self, index_name: str, value: str) -> builtins.list[Obj]:
        """Objects indexed under ``value`` in ``index_name``."""
        return [self._items[key] for key in self.index_keys(index_name, value)]

    def index_values(self, index_name: str) -> builtins.list[str]:
        """Every value that currently has at least one object in ``index_name``."""
        if index_name not in self._indices:
            raise KeyError(f"no index named {index_name!r}")
        return list(self._indices[index_name])

    def by_namespace(self, namespace: str) -> builtins.list[Obj]:
        """Objects in ``namespace`` (needs the namespace index)."""
        return self.by_index(NAMESPACE_INDEX, namespace)

    def by_owner_uid(self, uid: str) -> builtins.list[Obj]:
        """Objects with an owner reference to ``uid`` (needs the owner-UID index)."""
        return self.by_index(OWNER_UID_INDEX, uid)

    def by_label(self, key: str, value: str) -> builtins.list[Obj]:
        """Objects labelled ``key=value`` (needs the label index)."""
        return self.by_index(LABEL_INDEX, f"{key}={value}")
