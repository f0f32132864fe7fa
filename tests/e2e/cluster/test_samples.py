"""Every repo sample team, applied with kubectl and triggered with ``ark trigger``, runs in the
cluster exactly as ``ark run --provider mock`` runs it on a laptop."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ark.controllers.resources import ARK_RUNS, ARK_TEAMS
from ark.kube.client import KubeClient
from tests.conftest import Kubectl
from tests.e2e.cluster.conftest import Ark, StartOperator
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.redis]

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "manifests" / "samples"
ARK = str(Path(sys.executable).parent / "ark")

CASES = [
    ("team-pipeline.yaml", "recipe-planner", ["--input", "dish=tomato soup"]),
    (
        "team-dynamic.yaml",
        "support-desk",
        ["--input", '{"task": "My invoice 42 is wrong and the app crashes."}'],
    ),
    ("team-routed.yaml", "helpdesk", ["--input", "task=Why is my query slow?"]),
    ("team-mixed.yaml", "newsroom", ["--input", "topic=sea otters"]),
]


def _steps(result: dict[str, Any]) -> list[tuple[Any, ...]]:
    # By name: delegations a model makes in one turn run at once, so hops may be recorded in
    # either order in the cluster.
    return sorted(
        (s["name"], s["role"], s["kind"], s["parent"], s["phase"], s["output"], s["tokens"], s["iterations"])
        for s in result["steps"]
    )


async def _ready(kube: KubeClient, namespace: str, team: str) -> bool:
    obj = await kube.get(ARK_TEAMS, team, namespace)
    return (obj.get("status") or {}).get("phase") == "Ready"


@pytest.mark.parametrize(("sample", "team", "inputs"), CASES, ids=[c[0] for c in CASES])
async def test_a_sample_team_runs_in_the_cluster_as_it_runs_locally(
    sample: str,
    team: str,
    inputs: list[str],
    start_operator: StartOperator,
    ark: Ark,
    cluster_kubectl: Kubectl,
    kube: KubeClient,
    namespace: str,
) -> None:
    start_operator("--agent-env=AGENT_PROVIDER=mock")
    # The pipeline sample's roles read their keys from this Secret (envFrom, not optional).
    cluster_kubectl("create", "secret", "generic", "llm-credentials", "--from-literal=OPENAI_API_KEY=unused")
    cluster_kubectl("apply", "-f", str(SAMPLES / sample))
    await wait_for(lambda: _ready(kube, namespace, team), timeout=90, message=f"ArkTeam {team} Ready")

    done = ark("trigger", team, *inputs, "--sync", "--timeout", "120s", "-o", "json")
    assert done.returncode == 0, done.stderr
    cluster = json.loads(done.stdout)
    local_run = await asyncio.to_thread(
        subprocess.run,
        [ARK, "run", str(SAMPLES / sample), "--provider", "mock", "-o", "json", *inputs],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert local_run.returncode == 0, local_run.stderr
    local = json.loads(local_run.stdout)

    assert (cluster["phase"], cluster["mode"], cluster["team"]) == ("Succeeded", local["mode"], team)
    assert _steps(cluster) == _steps(local)
    assert (cluster["output"], cluster["tokens"], cluster["input"]) == (
        local["output"],
        local["tokens"],
        local["input"],
    )
    table = cluster_kubectl("get", "arkteam,arkrun", "--no-headers").stdout
    assert f"{team} " in table
    assert "Ready" in table
    assert "Succeeded" in table


async def _chained_run(kube: KubeClient, namespace: str) -> dict[str, Any] | None:
    runs = await kube.list(ARK_RUNS, namespace, label_selector="arkonis.dev/trigger=team-output")
    done = [r for r in runs["items"] if (r.get("status") or {}).get("phase") == "Succeeded"]
    return done[0] if done else None


async def test_the_event_cookbook_chains_its_release_teams_in_the_cluster(
    start_operator: StartOperator,
    ark: Ark,
    cluster_kubectl: Kubectl,
    kube: KubeClient,
    namespace: str,
) -> None:
    start_operator("--agent-env=AGENT_PROVIDER=mock")
    cluster_kubectl("apply", "-f", str(SAMPLES / "events-cookbook.yaml"))
    for team in ("release-notes", "release-announcer"):
        await wait_for(lambda t=team: _ready(kube, namespace, t), timeout=90, message=f"ArkTeam {team} Ready")

    done = ark(
        "trigger", "release-notes", "--input", "version=1.4.0", "--sync", "--timeout", "120s", "-o", "json"
    )
    assert done.returncode == 0, done.stderr
    notes = json.loads(done.stdout)["output"]
    chained = await wait_for(
        lambda: _chained_run(kube, namespace), timeout=120, message="the announcer's run"
    )

    assert chained["spec"]["teamRef"]["name"] == "release-announcer"
    assert chained["spec"]["input"] == {"notes": notes}
    assert chained["spec"]["trigger"] == {"type": "team-output", "source": "announce-release"}
    events = cluster_kubectl("get", "arkevent", "--no-headers").stdout
    assert "standup-every-morning" in events  # the cron event shows its next fire
    assert "T08:00:00Z" in events
