"""``ark submit`` and ``ark retry`` against a real API server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ark.kube.client import KubeClient
from tests.conftest import Kubectl
from tests.integration.cli.support import ark, ready, runs_of, set_status, stamp, step
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.usefixtures("teams")]
Obj = dict[str, Any]


def get_runs(kubectl: Kubectl, namespace: str) -> list[Obj]:
    items: list[Obj] = json.loads(kubectl("get", "arkruns", "-n", namespace, "-o", "json").stdout)["items"]
    return items


def test_submit_sends_the_task_to_the_entry_role(
    env: dict[str, str], kubectl: Kubectl, namespace: str
) -> None:
    result = ark("submit", "--team", "desk", "The printer is on fire", env=env)

    assert result.returncode == 0, result.stderr
    (run,) = get_runs(kubectl, namespace)
    assert result.stdout == f"arkrun.arkonis.dev/{run['metadata']['name']} created\n"
    assert run["spec"]["input"] == {"task": "The printer is on fire"}
    assert run["spec"]["trigger"] == {"type": "submit", "source": "alice"}
    assert run["metadata"]["labels"]["arkonis.dev/trigger"] == "submit"
    assert run["spec"]["teamSpec"]["entry"] == "triage"


def test_submit_to_a_pipeline_team_is_refused(env: dict[str, str], kubectl: Kubectl, namespace: str) -> None:
    result = ark("submit", "--team", "planner", "Make soup", env=env)

    assert result.returncode == 2
    assert result.stderr == (
        f"ark submit: ArkTeam {namespace}/planner is a Pipeline team: it has no entry role to take a task; "
        "start it with `ark trigger planner --input KEY=VALUE` instead\n"
    )
    assert get_runs(kubectl, namespace) == []
    unknown = ark("submit", "--team", "dsk", "x", env=env)
    assert unknown.returncode == 2
    assert f"ArkTeam {namespace}/dsk not found" in unknown.stderr


async def finished_run(env: dict[str, str], kube: KubeClient, namespace: str, phase: str) -> str:
    """A planner run that ended ``phase``: chef and nutritionist Succeeded, critic as the phase says."""
    assert ark("trigger", "planner", "-i", "dish=soup", env=env).returncode == 0
    (run,) = await wait_for(lambda: runs_of(kube, namespace), timeout=20, message="the run")
    name = run["metadata"]["name"]
    critic = (
        step("critic", "Succeeded", output="fine")
        if phase == "Succeeded"
        else step("critic", "Failed", message="model down")
    )
    await set_status(
        kube,
        namespace,
        name,
        {
            "phase": phase,
            "startTime": stamp(-3),
            "completionTime": stamp(),
            "failedStep": None if phase == "Succeeded" else "critic",
            "steps": [
                step("chef", "Succeeded", output="recipe"),
                critic,
                step("nutritionist", "Succeeded", output="ok"),
            ],
            "conditions": ready(phase, "Succeeded" if phase == "Succeeded" else "StepFailed", "done"),
        },
    )
    return name


async def test_retry_reuses_the_succeeded_steps_and_runs_the_failed_one(
    env: dict[str, str], kube: KubeClient, kubectl: Kubectl, namespace: str
) -> None:
    failed = await finished_run(env, kube, namespace, "Failed")

    result = ark("retry", failed, env=env)

    assert result.returncode == 0, result.stderr
    (retry,) = [run for run in get_runs(kubectl, namespace) if run["metadata"]["name"] != failed]
    name = retry["metadata"]["name"]
    assert result.stdout == f"arkrun.arkonis.dev/{name} created\n"
    assert result.stderr == "ark retry: reusing chef, nutritionist; running again: critic\n"
    assert retry["spec"]["retryOf"] == {"run": failed, "reuse": ["chef", "nutritionist"]}
    assert retry["spec"]["trigger"] == {"type": "retry", "source": "alice"}
    assert retry["spec"]["input"] == {"dish": "soup", "diet": "none"}
    assert retry["metadata"]["labels"]["arkonis.dev/trigger"] == "retry"


async def test_retry_from_a_step_runs_it_and_what_depends_on_it(
    env: dict[str, str], kube: KubeClient, kubectl: Kubectl, namespace: str
) -> None:
    succeeded = await finished_run(env, kube, namespace, "Succeeded")

    nothing = ark("retry", succeeded, env=env)
    assert nothing.returncode == 2
    assert nothing.stderr == (
        f"ark retry: ArkRun {namespace}/{succeeded} Succeeded: nothing to retry "
        "(--step NAME runs that step and every step after it again)\n"
    )
    unknown_step = ark("retry", succeeded, "--step", "baker", env=env)
    assert unknown_step.returncode == 2
    assert "--step baker: the team has no pipeline step of that name (steps: chef, critic, nutritionist)" in (
        unknown_step.stderr
    )
    assert len(get_runs(kubectl, namespace)) == 1

    from_chef = ark("retry", succeeded, "--step", "chef", env=env)
    assert from_chef.returncode == 0, from_chef.stderr
    assert from_chef.stderr == "ark retry: reusing no step; running again: chef, critic, nutritionist\n"
    from_critic = ark("retry", succeeded, "--step", "critic", env=env)
    assert from_critic.stderr == "ark retry: reusing chef, nutritionist; running again: critic\n"
    reuses = sorted(
        tuple(run["spec"]["retryOf"]["reuse"])
        for run in get_runs(kubectl, namespace)
        if "retryOf" in run["spec"]
    )
    assert reuses == [(), ("chef", "nutritionist")]


async def test_retry_refuses_a_run_still_going(
    env: dict[str, str], kube: KubeClient, kubectl: Kubectl, namespace: str
) -> None:
    assert ark("trigger", "planner", "-i", "dish=soup", env=env).returncode == 0
    (run,) = await wait_for(lambda: runs_of(kube, namespace), timeout=20, message="the run")
    name = run["metadata"]["name"]
    await set_status(kube, namespace, name, {"phase": "Running", "startTime": stamp(), "steps": []})

    result = ark("retry", name, env=env)

    assert result.returncode == 2
    assert result.stderr == (
        f"ark retry: ArkRun {namespace}/{name} is still Running: retry it once it has finished "
        f"(`ark status {name} --watch -n {namespace}` waits for it)\n"
    )
    assert len(get_runs(kubectl, namespace)) == 1
    missing = ark("retry", "planner-gone", env=env)
    assert missing.stderr == (
        f"ark retry: ArkRun {namespace}/planner-gone not found (`ark status -n {namespace}` lists the runs)\n"
    )
