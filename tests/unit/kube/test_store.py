"""The indexer: keys, indexes kept in step with every write, and replace() reporting real differences."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ark.kube.store import (
    DEFAULT_INDEXERS,
    LABEL_INDEX,
    NAMESPACE_INDEX,
    OWNER_UID_INDEX,
    DeltaType,
    Indexer,
    object_key,
    split_key,
)


def cm(
    name: str,
    namespace: str | None = "ns",
    rv: str = "1",
    labels: dict[str, str] | None = None,
    owners: tuple[str, ...] = (),
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "resourceVersion": rv}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    if owners:
        meta["ownerReferences"] = [
            {"uid": uid, "kind": "X", "name": uid, "apiVersion": "v1"} for uid in owners
        ]
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}


def test_keys_and_split_keys() -> None:
    assert object_key(cm("a")) == "ns/a"
    assert object_key(cm("node-1", namespace=None)) == "node-1"
    assert split_key("ns/a") == ("ns", "a")
    assert split_key("node-1") == (None, "node-1")


def test_upsert_get_delete_and_indexes_follow_changes() -> None:
    store = Indexer(DEFAULT_INDEXERS)
    assert store.upsert(cm("a", labels={"app": "web"}, owners=("u1",))) is None
    store.upsert(cm("b", namespace="other", labels={"app": "web"}))
    assert sorted(store.keys()) == ["ns/a", "other/b"]
    assert [o["metadata"]["name"] for o in store.by_label("app", "web")] == ["a", "b"]
    assert [o["metadata"]["name"] for o in store.by_namespace("ns")] == ["a"]
    assert [o["metadata"]["name"] for o in store.by_owner_uid("u1")] == ["a"]

    old = store.upsert(cm("a", rv="2", labels={"app": "db"}, owners=("u2",)))
    assert old is not None
    assert old["metadata"]["resourceVersion"] == "1"
    assert [o["metadata"]["name"] for o in store.by_label("app", "web")] == ["b"]
    assert [o["metadata"]["name"] for o in store.by_label("app", "db")] == ["a"]
    assert store.by_owner_uid("u1") == []
    assert store.index_keys(OWNER_UID_INDEX, "u2") == ["ns/a"]

    removed = store.delete(cm("a"))
    assert removed is not None
    assert removed["metadata"]["resourceVersion"] == "2"
    assert store.get("ns/a") is None
    assert "ns/a" not in store
    assert store.by_label("app", "db") == []
    assert "app=db" not in store.index_values(LABEL_INDEX), "empty index buckets are dropped"
    assert store.delete(cm("a")) is None
    assert len(store) == 1


def test_unknown_index_is_an_error_and_indexes_can_be_added_later() -> None:
    store = Indexer()
    store.upsert(cm("a", labels={"tier": "x"}))
    with pytest.raises(KeyError):
        store.by_index(LABEL_INDEX, "tier=x")
    store.add_indexers({"tier": lambda o: [o["metadata"].get("labels", {}).get("tier", "")]})
    assert store.index_keys("tier", "x") == ["ns/a"]
    with pytest.raises(ValueError, match="exists"):
        store.add_indexers({"tier": lambda o: []})


def test_replace_reports_only_real_differences() -> None:
    store = Indexer(DEFAULT_INDEXERS)
    store.replace([cm("same", rv="1"), cm("changed", rv="1"), cm("gone", rv="1", labels={"x": "y"})])
    deltas = store.replace([cm("same", rv="1"), cm("changed", rv="5"), cm("new", rv="6")])
    summary = sorted((d.type.value, d.object["metadata"]["name"]) for d in deltas)
    assert summary == [("Added", "new"), ("Deleted", "gone"), ("Updated", "changed")]
    update = next(d for d in deltas if d.type is DeltaType.UPDATED)
    assert update.old is not None
    assert update.old["metadata"]["resourceVersion"] == "1"
    delete = next(d for d in deltas if d.type is DeltaType.DELETED)
    assert delete.object["metadata"]["name"] == "gone", "deletes carry the last known state"
    assert store.by_label("x", "y") == []
    assert sorted(store.keys()) == ["ns/changed", "ns/new", "ns/same"]
    assert store.replace([cm("same", rv="1"), cm("changed", rv="5"), cm("new", rv="6")]) == []


def test_iteration_is_safe_against_concurrent_modification() -> None:
    store = Indexer()
    for i in range(5):
        store.upsert(cm(f"o{i}"))
    for obj in store:
        store.delete(obj)
    assert len(store) == 0


names = st.sampled_from(["a", "b", "c", "d", "e"])
namespaces = st.sampled_from(["n1", "n2", None])
labels = st.dictionaries(st.sampled_from(["app", "tier"]), st.sampled_from(["x", "y"]), max_size=2)
owners = st.lists(st.sampled_from(["u1", "u2", "u3"]), max_size=2, unique=True).map(tuple)
objects = st.builds(cm, names, namespaces, st.integers(1, 4).map(str), labels, owners)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("upsert"), objects),
        st.tuples(st.just("delete"), objects),
        st.tuples(st.just("replace"), st.lists(objects, max_size=6)),
    ),
    max_size=30,
)


def same_version(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return bool(a["metadata"]["resourceVersion"] == b["metadata"]["resourceVersion"])


@settings(max_examples=300, deadline=None)
@given(ops)
def test_indexes_always_equal_a_recomputation_from_scratch(operations: list[tuple[str, Any]]) -> None:
    store = Indexer(DEFAULT_INDEXERS)
    model: dict[str, dict[str, Any]] = {}
    for op, arg in operations:
        if op == "upsert":
            store.upsert(arg)
            model[object_key(arg)] = arg
        elif op == "delete":
            store.delete(arg)
            model.pop(object_key(arg), None)
        else:
            unique = {object_key(o): o for o in arg}
            before = dict(model)
            deltas = store.replace(list(unique.values()))
            # Same resourceVersion means same object on a real server: the cached copy is kept.
            model = {
                k: before[k] if k in before and same_version(before[k], o) else o for k, o in unique.items()
            }
            expected_added = set(unique) - set(before)
            expected_deleted = set(before) - set(unique)
            expected_updated = {
                k for k in set(unique) & set(before) if not same_version(unique[k], before[k])
            }
            by_type = {t: {object_key(d.object) for d in deltas if d.type is t} for t in DeltaType}
            assert by_type[DeltaType.ADDED] == expected_added
            assert by_type[DeltaType.DELETED] == expected_deleted
            assert by_type[DeltaType.UPDATED] == expected_updated
        assert sorted(store.keys()) == sorted(model)
        for name, func in DEFAULT_INDEXERS.items():
            expected: dict[str, set[str]] = {}
            for key, obj in model.items():
                for value in func(obj):
                    expected.setdefault(value, set()).add(key)
            assert {v: set(store.index_keys(name, v)) for v in store.index_values(name)} == expected
    assert set(store.index_values(NAMESPACE_INDEX)) <= {"n1", "n2"}
