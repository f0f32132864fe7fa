"""The Event recorder against the real API server: repeats counted, variants aggregated."""

from __future__ import annotations

from typing import Any

import pytest

from ark.kube.client import KubeClient
from ark.kube.events import AGGREGATED_PREFIX, EventRecorder
from ark.kube.resources import CONFIGMAPS, EVENTS

pytestmark = pytest.mark.cluster


async def test_repeats_bump_count_and_variants_are_combined(kube: KubeClient, namespace: str) -> None:
    target = await kube.create(
        CONFIGMAPS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "t"}}, namespace
    )
    recorder = EventRecorder(kube, "ark-test", host="test-host", similar_threshold=5)
    recorder.start()
    try:
        for _ in range(3):
            recorder.normal(target, "Synced", "all good")
        for i in range(8):
            recorder.warning(target, "Failed", f"attempt {i} failed")
        await recorder.flush()
    finally:
        await recorder.stop()
    events: list[dict[str, Any]] = (await kube.list(EVENTS, namespace))["items"]
    synced = [e for e in events if e["reason"] == "Synced"]
    assert len(synced) == 1
    assert synced[0]["count"] == 3
    assert synced[0]["lastTimestamp"] >= synced[0]["firstTimestamp"]
    assert synced[0]["involvedObject"]["uid"] == target["metadata"]["uid"]
    assert synced[0]["source"] == {"component": "ark-test", "host": "test-host"}

    failed = sorted((e for e in events if e["reason"] == "Failed"), key=lambda e: e["message"])
    distinct = [e for e in failed if not e["message"].startswith(AGGREGATED_PREFIX)]
    combined = [e for e in failed if e["message"].startswith(AGGREGATED_PREFIX)]
    assert len(distinct) == 4, "the first variants are recorded as they are"
    assert len(combined) == 1
    assert combined[0]["count"] == 4
    assert combined[0]["message"] == AGGREGATED_PREFIX + "attempt 7 failed"
    assert all(e["type"] == "Warning" for e in failed)


async def test_recorder_rejects_unknown_event_types(kube: KubeClient) -> None:
    recorder = EventRecorder(kube, "ark-test")
    with pytest.raises(ValueError, match="event type"):
        recorder.event({"metadata": {"name": "x"}}, "Info", "R", "m")
