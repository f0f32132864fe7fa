"""Pure pieces: event correlation, conditions, resource paths, leader-election parameters."""

from __future__ import annotations

import datetime

import pytest

from ark.kube.client import AlreadyExists, Conflict, Gone, Invalid, KubeClient, NotFound, error_from_status
from ark.kube.clock import FakeClock
from ark.kube.conditions import get_condition, is_true, remove_condition, set_condition
from ark.kube.events import AGGREGATED_PREFIX, EventCorrelator, object_reference
from ark.kube.leaderelection import LeaderElector, format_micro_time
from ark.kube.resources import CONFIGMAPS, LEASES, NAMESPACES, Resource

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p", "namespace": "ns", "uid": "u1", "resourceVersion": "7"},
}


def test_object_reference_points_at_the_object() -> None:
    assert object_reference(POD) == {
        "apiVersion": "v1",
        "kind": "Pod",
        "name": "p",
        "namespace": "ns",
        "uid": "u1",
        "resourceVersion": "7",
    }


def test_repeats_share_a_key_and_many_variants_aggregate_within_the_window() -> None:
    clock = FakeClock()
    correlator = EventCorrelator(clock=clock, similar_threshold=3, similar_window=60)
    ref = object_reference(POD)
    key1, msg1 = correlator.correlate(ref, "Warning", "Failed", "boom")
    key1_again, _ = correlator.correlate(ref, "Warning", "Failed", "boom")
    assert key1 == key1_again
    assert msg1 == "boom"
    key2, _ = correlator.correlate(ref, "Warning", "Failed", "bang")
    assert key2 != key1
    key3, msg3 = correlator.correlate(ref, "Warning", "Failed", "crash")  # third distinct message
    assert msg3 == AGGREGATED_PREFIX + "crash"
    key4, msg4 = correlator.correlate(ref, "Warning", "Failed", "another")
    assert key4 == key3, "aggregated events all land on one Event"
    assert msg4.startswith(AGGREGATED_PREFIX)
    other_reason, msg = correlator.correlate(ref, "Warning", "Other", "crash")
    assert msg == "crash"
    assert other_reason != key3
    clock.advance(61)
    _, fresh = correlator.correlate(ref, "Warning", "Failed", "later")
    assert fresh == "later", "the similarity window expired"


def test_correlator_remembers_written_events_in_a_bounded_cache() -> None:
    correlator = EventCorrelator(clock=FakeClock(), cache_size=2)
    correlator.record(("a",), "e-a", "ns", 1)
    correlator.record(("b",), "e-b", "ns", 1)
    correlator.record(("a",), "e-a", "ns", 2)
    correlator.record(("c",), "e-c", "ns", 1)
    seen = correlator.seen(("a",))
    assert seen is not None
    assert seen.count == 2
    assert correlator.seen(("b",)) is None, "least recently used entry evicted"


def test_conditions_transition_time_moves_only_on_status_change() -> None:
    t0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    conditions: list[dict[str, object]] = []
    assert set_condition(conditions, "Ready", "False", "Starting", "waiting", observed_generation=1, now=t0)
    assert conditions[0]["lastTransitionTime"] == "2026-01-01T00:00:00Z"
    t1 = t0 + datetime.timedelta(minutes=5)
    assert not set_condition(
        conditions, "Ready", "False", "Starting", "waiting", observed_generation=1, now=t1
    )
    assert set_condition(
        conditions, "Ready", "False", "Starting", "still waiting", observed_generation=2, now=t1
    )
    assert conditions[0]["lastTransitionTime"] == "2026-01-01T00:00:00Z", "same status: time kept"
    assert conditions[0]["observedGeneration"] == 2
    assert conditions[0]["message"] == "still waiting"
    assert set_condition(conditions, "Ready", "True", "Available", now=t1)
    assert conditions[0]["lastTransitionTime"] == "2026-01-01T00:05:00Z"
    assert is_true(conditions, "Ready")
    assert not is_true(conditions, "Degraded")
    set_condition(conditions, "Degraded", "False", "AsExpected", now=t1)
    assert [c["type"] for c in conditions] == ["Ready", "Degraded"]
    assert remove_condition(conditions, "Ready")
    assert not remove_condition(conditions, "Ready")
    assert get_condition(conditions, "Ready") is None
    with pytest.raises(ValueError, match="status"):
        set_condition(conditions, "Ready", "Maybe", "X")
    with pytest.raises(ValueError, match="reason"):
        set_condition(conditions, "Ready", "True", "")


def test_resource_paths_and_kinds() -> None:
    assert CONFIGMAPS.path("ns") == "/api/v1/namespaces/ns/configmaps"
    assert CONFIGMAPS.path() == "/api/v1/configmaps"
    assert LEASES.path("kube-system", "x") == "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/x"
    agents = Resource.custom("arkonis.dev", "v1alpha1", "arkagents", "ArkAgent")
    assert agents.path("ns", "a", "status") == "/apis/arkonis.dev/v1alpha1/namespaces/ns/arkagents/a/status"
    assert agents.api_version == "arkonis.dev/v1alpha1"
    assert not agents.builtin
    assert CONFIGMAPS.builtin
    assert LEASES.builtin
    assert NAMESPACES.path(name="n") == "/api/v1/namespaces/n"
    with pytest.raises(ValueError, match="cluster-scoped"):
        NAMESPACES.path("ns")
    with pytest.raises(ValueError, match="subresource"):
        CONFIGMAPS.path("ns", subresource="status")
    assert CONFIGMAPS.path("ns", "a b") == "/api/v1/namespaces/ns/configmaps/a%20b"


def test_status_codes_map_to_typed_errors() -> None:
    assert isinstance(error_from_status(404, {"reason": "NotFound"}), NotFound)
    assert isinstance(error_from_status(409, {"reason": "AlreadyExists"}), AlreadyExists)
    assert isinstance(error_from_status(409, {"reason": "Conflict"}), Conflict)
    assert isinstance(error_from_status(200, {"code": 410, "reason": "Expired"}), Gone)
    assert isinstance(error_from_status(422, {}), Invalid)
    error = error_from_status(500, {"message": "boom"})
    assert error.status == 500
    assert "boom" in str(error)


def test_leader_election_timing_must_be_consistent() -> None:
    client = KubeClient(api_client=None)
    with pytest.raises(ValueError, match="lease_duration"):
        LeaderElector(client, "l", namespace="ns", identity="a", lease_duration=10, renew_deadline=10)
    with pytest.raises(ValueError, match="lease_duration"):
        LeaderElector(client, "l", namespace="ns", identity="a", renew_deadline=2, retry_period=2)
    moment = datetime.datetime(2026, 1, 2, 3, 4, 5, 600_000, tzinfo=datetime.UTC)
    assert format_micro_time(moment) == "2026-01-02T03:04:05.600000Z"
