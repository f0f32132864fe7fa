"""The generated CRDs on a real kube-apiserver: samples apply, columns tell the story, and
the structural mistakes are refused by the server itself, naming the field."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from ark.api import KINDS, parse_object
from tests.conftest import Kubectl
from tests.integration.api.conftest import SAMPLES
from tests.unit.api.invalid_cases import CASES, Case

pytestmark = pytest.mark.cluster

SAMPLE_FILES = sorted(SAMPLES.glob("*.yaml"))
STRUCTURAL = [case for case in CASES if case.server is not None]
SAMPLE_OBJECTS = sum(
    1
    for path in SAMPLE_FILES
    for doc in yaml.safe_load_all(path.read_text())
    if doc and doc.get("kind") in KINDS
)


def table(kubectl: Kubectl, *args: str) -> list[dict[str, str]]:
    """``kubectl get`` output as rows keyed by column header (columns are padded by 2+ spaces)."""
    header, *lines = kubectl("get", *args).stdout.splitlines()
    starts = [i for i, ch in enumerate(header) if ch != " " and (i == 0 or header[i - 2 : i] == "  ")]
    bounds = list(zip(starts, [*starts[1:], None], strict=True))
    names = [header[a:b].strip() for a, b in bounds]
    return [dict(zip(names, [line[a:b].strip() for a, b in bounds], strict=True)) for line in lines]


def apply_samples(kubectl: Kubectl, namespace: str) -> None:
    for path in SAMPLE_FILES:
        kubectl("apply", "-n", namespace, "-f", str(path))


async def test_every_crd_is_established_with_its_names(crds: list[str], kubectl: Kubectl) -> None:
    resources = kubectl("api-resources", "--api-group=arkonis.dev", "-o", "name").stdout.split()
    assert sorted(resources) == sorted(crds)
    for short in ("aorun", "aosvc", "anfy"):
        assert kubectl("get", short, "-A", check=False).returncode == 0, short


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda path: path.name)
async def test_every_sample_applies(path: Any, crds: list[str], kubectl: Kubectl, namespace: str) -> None:
    result = kubectl("apply", "-n", namespace, "-f", str(path), check=False)
    assert result.returncode == 0, result.stderr
    assert "created" in result.stdout


async def test_kubectl_get_ark_lists_every_sample(crds: list[str], kubectl: Kubectl, namespace: str) -> None:
    apply_samples(kubectl, namespace)

    names = kubectl("get", "ark", "-n", namespace, "-o", "name").stdout.split()

    assert len(names) == SAMPLE_OBJECTS
    assert {name.split("/")[0].split(".")[0] for name in names} == {kind.lower() for kind in KINDS}


async def test_spec_columns_show_useful_values(crds: list[str], kubectl: Kubectl, namespace: str) -> None:
    apply_samples(kubectl, namespace)

    agents = {row["NAME"]: row for row in table(kubectl, "arkagent", "-n", namespace)}
    teams = {row["NAME"]: row for row in table(kubectl, "arkteam", "-n", namespace)}
    events = {row["NAME"]: row for row in table(kubectl, "arkevent", "-n", namespace)}
    services = table(kubectl, "aosvc", "-n", namespace)
    runs = table(kubectl, "aorun", "-n", namespace)

    assert list(agents["research-agent"]) == ["NAME", "MODEL", "REPLICAS", "READY", "TOKENS(24H)", "AGE"]
    assert (agents["research-agent"]["MODEL"], agents["research-agent"]["REPLICAS"]) == (
        "claude-sonnet-4-6",
        "2",
    )
    assert agents["generalist"]["REPLICAS"] == "1"  # defaulted by the API server
    assert list(teams["support-desk"]) == ["NAME", "MODE", "PHASE", "ENTRY", "LAST RUN", "AGE"]
    assert teams["support-desk"]["ENTRY"] == "triage"
    assert (events["morning-digest"]["TYPE"], events["morning-digest"]["SUSPENDED"]) == ("cron", "false")
    assert (services[0]["AGENT"], services[0]["STRATEGY"]) == ("research-agent", "least-busy")
    assert (runs[0]["NAME"], runs[0]["TEAM"]) == ("summarizer-x4kpz", "summarizer")


def patch_status(kubectl: Kubectl, namespace: str, ref: str, status: dict[str, Any]) -> None:
    kubectl(
        "patch",
        ref,
        "-n",
        namespace,
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps({"status": status}),
    )


async def test_status_columns_show_what_the_operator_writes(
    crds: list[str], kubectl: Kubectl, namespace: str
) -> None:
    apply_samples(kubectl, namespace)
    patch_status(
        kubectl,
        namespace,
        "arkagent/research-agent",
        {"replicas": 2, "readyReplicas": 1, "dailyTokenUsage": {"totalTokens": 1234}},
    )
    patch_status(
        kubectl,
        namespace,
        "arkteam/summarizer",
        {
            "mode": "Pipeline",
            "phase": "Ready",
            "lastRunName": "summarizer-x4kpz",
            "lastRunPhase": "Succeeded",
        },
    )
    started = (datetime.now(UTC) - timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    next_fire = (datetime.now(UTC) + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    patch_status(
        kubectl,
        namespace,
        "arkrun/summarizer-x4kpz",
        {
            "phase": "Succeeded",
            "startTime": started,
            "durationSeconds": 12.5,
            "totalTokenUsage": {"inputTokens": 800, "outputTokens": 200, "totalTokens": 1000},
        },
    )
    patch_status(
        kubectl,
        namespace,
        "arkevent/morning-digest",
        {"firedCount": 3, "lastFiredAt": started, "nextFireAt": next_fire},
    )

    agent = table(kubectl, "arkagent/research-agent", "-n", namespace)[0]
    team = table(kubectl, "arkteam/summarizer", "-n", namespace)[0]
    run = table(kubectl, "arkrun/summarizer-x4kpz", "-n", namespace, "-o", "wide")[0]
    event = table(kubectl, "arkevent/morning-digest", "-n", namespace)[0]

    assert (agent["READY"], agent["TOKENS(24H)"]) == ("1", "1234")
    assert (team["MODE"], team["PHASE"], team["LAST RUN"]) == ("Pipeline", "Ready", "summarizer-x4kpz")
    assert (run["PHASE"], run["TOKENS"], run["DURATION"]) == ("Succeeded", "1000", "12.5")
    assert run["STARTED"] == "5h"
    assert (event["FIRED"], event["LAST FIRED"], event["NEXT FIRE"]) == ("3", "5h", next_fire)


@pytest.mark.parametrize("case", STRUCTURAL, ids=lambda case: case.id)
async def test_structural_mistakes_are_refused_by_the_server(
    case: Case, crds: list[str], kubectl: Kubectl, namespace: str
) -> None:
    result = kubectl("apply", "-n", namespace, "-f", "-", input=case.text, check=False)

    assert result.returncode != 0, result.stdout
    assert case.server in result.stderr


async def test_agent_scales_through_the_scale_subresource(
    crds: list[str], kubectl: Kubectl, namespace: str
) -> None:
    kubectl("apply", "-n", namespace, "-f", str(SAMPLES / "arkagent.yaml"))

    kubectl("scale", "-n", namespace, "arkagent/research-agent", "--replicas=4")
    too_many = kubectl("scale", "-n", namespace, "arkagent/research-agent", "--replicas=51", check=False)

    replicas = kubectl(
        "get", "-n", namespace, "arkagent/research-agent", "-o", "jsonpath={.spec.replicas}"
    ).stdout
    assert replicas == "4"
    assert too_many.returncode != 0
    assert "spec.replicas" in too_many.stderr


async def test_run_spec_is_immutable(crds: list[str], kubectl: Kubectl, namespace: str) -> None:
    kubectl("apply", "-n", namespace, "-f", str(SAMPLES / "arkrun.yaml"))

    result = kubectl(
        "patch",
        "-n",
        namespace,
        "arkrun/summarizer-x4kpz",
        "--type=merge",
        "-p",
        '{"spec": {"input": {"text": "changed"}}}',
        check=False,
    )

    assert result.returncode != 0
    assert "spec: Forbidden: ArkRun spec is immutable once teamSpec is set" in result.stderr


async def test_run_spec_takes_its_snapshot_once(crds: list[str], kubectl: Kubectl, namespace: str) -> None:
    # A run written by hand (no teamSpec) may be completed once; then it is frozen.
    manifest = """
apiVersion: arkonis.dev/v1alpha1
kind: ArkRun
metadata: {name: by-hand}
spec:
  teamRef: {name: summarizer}
  input: {text: hello}
"""
    kubectl("apply", "-n", namespace, "-f", "-", input=manifest)
    snapshot = json.dumps(
        {"spec": {"teamGeneration": 1, "teamSpec": {"entry": "a", "roles": [{"name": "a", "arkAgent": "x"}]}}}
    )
    kubectl("patch", "-n", namespace, "arkrun/by-hand", "--type=merge", "-p", snapshot)

    again = kubectl(
        "patch",
        "-n",
        namespace,
        "arkrun/by-hand",
        "--type=merge",
        "-p",
        '{"spec": {"teamGeneration": 2}}',
        check=False,
    )

    assert again.returncode != 0
    assert "ArkRun spec is immutable once teamSpec is set" in again.stderr


NOTIFY_DOCS_FORM = textwrap.dedent(
    """\
    apiVersion: arkonis.dev/v1alpha1
    kind: ArkNotify
    metadata: {name: docs-form}
    spec:
      ON_KEY: [TeamFailed, TeamTimedOut]
      rateLimitSeconds: 60
      channels:
        - type: webhook
          webhook:
            urlFrom: {name: hooks, key: url}
            headers: [{name: X-Token, valueFrom: {name: hooks, key: token}}]
            template: "{{ .Event }}: {{ .TeamName }}"
    """
)


async def test_docs_form_notify_applies_once_on_is_quoted(
    crds: list[str], kubectl: Kubectl, namespace: str
) -> None:
    quoted = kubectl(
        "apply", "-n", namespace, "-f", "-", input=NOTIFY_DOCS_FORM.replace("ON_KEY", '"on"'), check=False
    )
    unquoted = kubectl(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        input=NOTIFY_DOCS_FORM.replace("ON_KEY", "on").replace("docs-form", "bare-on"),
        check=False,
    )

    assert quoted.returncode == 0, quoted.stderr
    # kubectl reads YAML 1.1: an unquoted `on` key is the boolean true (ark validate warns about it).
    assert unquoted.returncode != 0
    assert 'unknown field "spec.true"' in unquoted.stderr


async def test_compatibility_spellings_apply(crds: list[str], kubectl: Kubectl, namespace: str) -> None:
    document = textwrap.dedent(
        """\
        apiVersion: arkonis.dev/v1alpha1
        kind: ArkAgent
        metadata: {name: compat}
        spec:
          model: m
          systemPrompt: p
          configRef: shared-settings
          mcpServers:
            - name: kb
              url: http://kb:8099
              headers: {Authorization: {secretKeyRef: {name: kb, key: token}}, X-Team: support}
        ---
        apiVersion: arkonis.dev/v1alpha1
        kind: ArkEvent
        metadata: {name: compat}
        spec:
          source: {type: flow-output, teamOutput: {name: upstream}}
          targets: [{pipeline: downstream}]
        """
    )

    result = kubectl("apply", "-n", namespace, "-f", "-", input=document, check=False)

    assert result.returncode == 0, result.stderr


async def test_objects_read_back_from_the_server_parse(
    crds: list[str], kubectl: Kubectl, namespace: str
) -> None:
    apply_samples(kubectl, namespace)
    patch_status(
        kubectl,
        namespace,
        "arkagent/research-agent",
        {
            "replicas": 2,
            "readyReplicas": 2,
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "AllReplicasReady",
                    "message": "2/2 replicas ready",
                    "lastTransitionTime": "2026-01-01T00:00:00Z",
                    "observedGeneration": 1,
                }
            ],
        },
    )

    listing = json.loads(kubectl("get", "ark", "-n", namespace, "-o", "json", "--show-managed-fields").stdout)

    parsed = [parse_object(item) for item in listing["items"]]
    assert len(parsed) == SAMPLE_OBJECTS
    agent = next(obj for obj in parsed if obj.metadata.name == "research-agent")
    assert agent.metadata.uid
    assert agent.metadata.managed_fields
    assert agent.status is not None


async def test_server_defaults_match_the_models(crds: list[str], kubectl: Kubectl, namespace: str) -> None:
    document = textwrap.dedent(
        """\
        apiVersion: arkonis.dev/v1alpha1
        kind: ArkAgent
        metadata: {name: minimal}
        spec: {model: m, systemPrompt: p, limits: {}}
        """
    )
    kubectl("apply", "-n", namespace, "-f", "-", input=document)

    stored = json.loads(kubectl("get", "-n", namespace, "arkagent/minimal", "-o", "json").stdout)

    local = parse_object(json.loads(json.dumps({**stored, "status": None})) | {"status": None})
    assert stored["spec"]["replicas"] == 1
    assert stored["spec"]["limits"] == {
        "maxConcurrentTasks": 5,
        "maxTokensPerCall": 8000,
        "timeoutSeconds": 120,
    }
    assert (
        local.spec
        == parse_object(
            {
                "apiVersion": "arkonis.dev/v1alpha1",
                "kind": "ArkAgent",
                "metadata": {"name": "minimal"},
                "spec": {"model": "m", "systemPrompt": "p", "limits": {}},
            }
        ).spec
    )
