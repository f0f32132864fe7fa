"""Which pods are the runner's, and the kwok stage config that leaves exactly those pods to it.

Interface::

    DEFAULT_REPOSITORY                              # "ghcr.io/arkonis-dev/ark"
    runs_image("ghcr.io/arkonis-dev/ark:0.1.0", DEFAULT_REPOSITORY)   # True (any tag or digest)
    is_runner_pod(pod, repositories)                # some container (not init) runs one of those images
    runner_stages(upstream_yaml, repositories)      # kwok stages with every Pod stage skipping them

kwok plays the kubelet for every pod bound to its node: its ``pod-ready`` stage marks pods
Running and Ready, ``pod-delete`` removes them as soon as they are deleted. A pod the runner
runs must be left alone by all of them, so that readiness comes from the container's own probe
and a deleted pod stays Terminating until its process has exited. Both sides use the same
predicate: here in Python for the runner, in kwok's selector as a jq expression.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import yaml

Obj = dict[str, Any]
DEFAULT_REPOSITORY = "ghcr.io/arkonis-dev/ark"


def runs_image(image: str, repository: str) -> bool:
    """True when ``image`` is ``repository`` itself, or with a ``:tag`` or an ``@digest``."""
    return image == repository or image.startswith((f"{repository}:", f"{repository}@"))


def is_runner_pod(pod: Obj, repositories: Sequence[str]) -> bool:
    """True when one of the pod's containers (init containers are not looked at) runs one of
    ``repositories``."""
    containers = (pod.get("spec") or {}).get("containers") or ()
    return any(runs_image(str(c.get("image", "")), r) for c in containers for r in repositories)


def _selector_expression(repositories: Sequence[str]) -> Obj:
    tests = " or ".join(
        f". == {json.dumps(r)} or startswith({json.dumps(r + ':')}) or startswith({json.dumps(r + '@')})"
        for r in repositories
    )
    return {"key": f".spec.containers | any(.image | {tests})", "operator": "NotIn", "values": ["true"]}


def runner_stages(upstream: str, repositories: Sequence[str]) -> str:
    """``upstream`` (kwok stages, several YAML documents) with the runner's pods out of every Pod stage."""
    documents = [doc for doc in yaml.safe_load_all(upstream) if doc]
    for doc in documents:
        spec = doc.get("spec") or {}
        if doc.get("kind") == "Stage" and (spec.get("resourceRef") or {}).get("kind") == "Pod":
            selector = spec.setdefault("selector", {})
            selector.setdefault("matchExpressions", []).append(_selector_expression(repositories))
    return yaml.safe_dump_all(documents, sort_keys=False)
