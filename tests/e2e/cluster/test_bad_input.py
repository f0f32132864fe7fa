"""What users see when a trigger cannot run, with the real operator and the ``ark`` command: a clear
message, the right exit code, and nothing created or lost."""

from __future__ import annotations

import asyncio

import pytest

from ark.controllers.resources import ARK_RUNS
from ark.kube.client import KubeClient
from tests.conftest import Kubectl
from tests.e2e.cluster.conftest import Ark, StartOperator

pytestmark = [pytest.mark.cluster, pytest.mark.redis]

TEAMS = """
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata: {name: writer}
spec:
  inputs: [{name: topic, required: true}]
  roles: [{name: w, model: mock, systemPrompt: p}]
  pipeline: [{role: w, inputs: {t: "{{ .input.topic }}"}}]
---
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata: {name: desk}
spec:
  entry: triage
  roles:
    - {name: triage, model: mock, systemPrompt: p, canDelegate: [billing]}
    - {name: billing, arkAgent: billing-agent}
---
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata: {name: idle}
spec:
  roles: [{name: nobody, model: mock, systemPrompt: p, replicas: 0, limits: {timeoutSeconds: 1}}]
  pipeline: [{role: nobody}]
"""


async def _runs(kube: KubeClient, namespace: str) -> list[str]:
    return [r["metadata"]["name"] for r in (await kube.list(ARK_RUNS, namespace))["items"]]


async def test_bad_triggers_are_refused_or_fail_saying_why(
    start_operator: StartOperator, ark: Ark, cluster_kubectl: Kubectl, kube: KubeClient, namespace: str
) -> None:
    start_operator("--agent-env=AGENT_PROVIDER=mock", "--step-grace-seconds=1")
    cluster_kubectl("apply", "-f", "-", input=TEAMS)

    def trigger(*args: str) -> tuple[int, str]:
        done = ark("trigger", *args)
        return done.returncode, done.stderr

    code, err = await asyncio.to_thread(trigger, "nosuchteam")
    assert code == 2
    assert f"ArkTeam {namespace}/nosuchteam not found" in err
    code, err = await asyncio.to_thread(trigger, "writer")
    assert code == 2
    assert 'missing required input "topic"' in err
    code, err = await asyncio.to_thread(trigger, "writer", "--input", '{"topic": ')
    assert code == 2
    assert "is not a valid JSON object" in err
    assert await _runs(kube, namespace) == []

    code, err = await asyncio.to_thread(
        trigger, "desk", "--input", "task=refund", "--sync", "--timeout", "60s"
    )
    assert code == 1
    assert 'ArkAgent "billing-agent" (role "billing") does not exist' in err
    code, err = await asyncio.to_thread(trigger, "idle", "--sync", "--timeout", "60s")
    assert code == 1
    assert 'failed: step "nobody": the task gave no result within 1 s' in err
    team = cluster_kubectl("get", "arkteam", "desk", "-o", "jsonpath={.status.conditions[0].message}").stdout
    assert team == 'ArkAgent "billing-agent" (role billing) does not exist'
    code, _ = await asyncio.to_thread(
        trigger, "writer", "--input", "topic=otters", "--sync", "--timeout", "60s"
    )
    assert code == 0  # the operator kept serving the good team throughout
