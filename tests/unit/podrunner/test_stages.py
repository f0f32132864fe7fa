"""Which pods are the runner's, and the kwok stages that leave exactly those to it."""

from __future__ import annotations

import pytest
import yaml
from podrunner.stages import DEFAULT_REPOSITORY, is_runner_pod, runner_stages, runs_image

UPSTREAM = """
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: {name: node-initialize}
spec:
  resourceRef: {apiGroup: v1, kind: Node}
  selector:
    matchExpressions:
    - {key: '.status.conditions.[] | select( .type == "Ready" ) | .status', operator: NotIn, values: ["True"]}
  next: {}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: {name: pod-ready}
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - {key: .metadata.deletionTimestamp, operator: DoesNotExist}
  next: {}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: {name: pod-delete}
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  next: {delete: true}
"""


@pytest.mark.parametrize(
    ("image", "ours"),
    [
        ("ghcr.io/arkonis-dev/ark:0.1.0", True),
        ("ghcr.io/arkonis-dev/ark", True),
        ("ghcr.io/arkonis-dev/ark@sha256:0123", True),
        ("ghcr.io/arkonis-dev/ark:1@sha256:0123", True),
        ("ghcr.io/arkonis-dev/ark-runtime:0.1.0", False),
        ("ghcr.io/arkonis-dev/arkx", False),
        ("docker.io/library/redis:7", False),
    ],
)
def test_any_tag_or_digest_of_the_repository(image: str, ours: bool) -> None:
    assert runs_image(image, DEFAULT_REPOSITORY) is ours


def test_a_pod_is_the_runners_when_a_container_runs_the_image() -> None:
    def pod(*images: str, init: str = "") -> dict[str, object]:
        spec: dict[str, object] = {
            "containers": [{"name": f"c{i}", "image": im} for i, im in enumerate(images)]
        }
        if init:
            spec["initContainers"] = [{"name": "init", "image": init}]
        return {"spec": spec}

    assert is_runner_pod(pod("redis:7", "ghcr.io/arkonis-dev/ark:1"), [DEFAULT_REPOSITORY])
    assert not is_runner_pod(pod("redis:7", init="ghcr.io/arkonis-dev/ark:1"), [DEFAULT_REPOSITORY])
    assert is_runner_pod(pod("localhost:5000/ark:dev"), ["localhost:5000/ark"])
    assert not is_runner_pod(pod("redis:7"), [DEFAULT_REPOSITORY])
    assert is_runner_pod(pod("redis:7"), [DEFAULT_REPOSITORY, "redis"])


def test_every_pod_stage_skips_the_runners_pods_and_node_stages_are_untouched() -> None:
    stages = {
        d["metadata"]["name"]: d for d in yaml.safe_load_all(runner_stages(UPSTREAM, ["ghcr.io/x/ark"]))
    }
    expected = {
        "key": '.spec.containers | any(.image | . == "ghcr.io/x/ark" or startswith("ghcr.io/x/ark:")'
        ' or startswith("ghcr.io/x/ark@"))',
        "operator": "NotIn",
        "values": ["true"],
    }
    assert stages["pod-ready"]["spec"]["selector"]["matchExpressions"] == [
        {"key": ".metadata.deletionTimestamp", "operator": "DoesNotExist"},
        expected,
    ]
    assert stages["pod-delete"]["spec"]["selector"] == {"matchExpressions": [expected]}
    assert len(stages["node-initialize"]["spec"]["selector"]["matchExpressions"]) == 1
    assert stages["pod-delete"]["spec"]["next"] == {"delete": True}


def test_several_repositories_are_one_expression() -> None:
    stages = {
        d["metadata"]["name"]: d for d in yaml.safe_load_all(runner_stages(UPSTREAM, ["a/ark", "redis"]))
    }
    (expression,) = stages["pod-delete"]["spec"]["selector"]["matchExpressions"]
    assert expression["key"] == (
        '.spec.containers | any(.image | . == "a/ark" or startswith("a/ark:") or startswith("a/ark@")'
        ' or . == "redis" or startswith("redis:") or startswith("redis@"))'
    )
