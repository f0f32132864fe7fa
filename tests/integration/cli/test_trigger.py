"""``ark trigger`` against a real API server, the test playing the operator's part."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from ark.kube.client import KubeClient
from ark.runs.outputs import PendingOutput, digest_of, preview, write_output
from tests.conftest import Kubectl
from tests.integration.cli.support import Background, ark, ready, runs_of, set_status, stamp, step
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.usefixtures("teams")]
Obj = dict[str, Any]


def run_names(kubectl: Kubectl, namespace: str) -> list[str]:
    result = kubectl("get", "arkruns", "-n", namespace, "-o", "name")
    return result.stdout.split()


def test_trigger_creates_the_arkrun_and_says_so_like_kubectl(
    env: dict[str, str], kubectl: Kubectl, namespace: str
) -> None:
    result = ark("trigger", "planner", "--input", "dish=tomato soup", env=env)

    assert result.returncode == 0, result.stderr
    (name,) = [n.removeprefix("arkrun.arkonis.dev/") for n in run_names(kubectl, namespace)]
    assert result.stdout == f"arkrun.arkonis.dev/{name} created\n"
    assert name.startswith("planner-")
    run = json.loads(kubectl("get", "arkrun", name, "-n", namespace, "-o", "json").stdout)
    team = json.loads(kubectl("get", "arkteam", "planner", "-n", namespace, "-o", "json").stdout)
    spec = run["spec"]
    assert spec["teamRef"] == {"name": "planner"}
    assert spec["input"] == {"dish": "tomato soup", "diet": "none"}
    assert spec["teamSpec"] == team["spec"]
    assert spec["teamGeneration"] == team["metadata"]["generation"]
    assert spec["trigger"] == {"type": "manual", "source": "alice"}
    assert run["metadata"]["labels"] == {
        "arkonis.dev/team": "planner",
        "arkonis.dev/trigger": "manual",
        "app.kubernetes.io/managed-by": "ark",
    }


def test_a_json_input_and_an_undeclared_key_warn_but_run(
    env: dict[str, str], kubectl: Kubectl, namespace: str
) -> None:
    result = ark("trigger", "planner", "--input", '{"dish": "soup", "servings": 4}', env=env)

    assert result.returncode == 0, result.stderr
    assert 'warning: input "servings"' in result.stderr
    (name,) = run_names(kubectl, namespace)
    run = json.loads(kubectl("get", name, "-n", namespace, "-o", "json").stdout)
    assert run["spec"]["input"] == {"dish": "soup", "diet": "none", "servings": "4"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("planner",),
            'ark trigger: ArkTeam {ns}/planner: missing required input "dish"',
        ),
        (
            ("planner", "--input", '{"dish": "soup",'),
            'ark trigger: --input \'{"dish": "soup",\' is not a valid JSON object: Expecting property name',
        ),
        (
            ("planer", "--input", "dish=soup"),
            "ark trigger: ArkTeam {ns}/planer not found; "
            'ArkTeams there: desk, planner; did you mean "planner"?',
        ),
        (
            ("planner", "--input", "dish"),
            "ark trigger: --input 'dish': write KEY=VALUE or a JSON object",
        ),
    ],
)
def test_bad_input_is_refused_before_anything_is_created(
    env: dict[str, str], kubectl: Kubectl, namespace: str, args: tuple[str, ...], message: str
) -> None:
    result = ark("trigger", *args, env=env)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(message.replace("{ns}", namespace)), result.stderr
    assert run_names(kubectl, namespace) == []


def test_an_empty_namespace_says_there_are_no_teams(env: dict[str, str], kubectl: Kubectl) -> None:
    kubectl("create", "namespace", "cli-empty-ns", check=False)
    result = ark("trigger", "planner", "-n", "cli-empty-ns", env=env)
    assert result.returncode == 2
    assert result.stderr == (
        "ark trigger: ArkTeam cli-empty-ns/planner not found; there are no ArkTeams in that namespace "
        "(another one? -n NAMESPACE)\n"
    )


async def test_watch_shows_each_transition_the_operator_writes_then_the_full_output(
    env: dict[str, str], kube: KubeClient, namespace: str
) -> None:
    # Times relative to one instant: the durations shown must not depend on how long the test takes.
    now = datetime.now(UTC)

    def at(offset: float = 0.0) -> str:
        return stamp(offset, base=now)

    ark_run = Background("trigger", "planner", "-i", "dish=soup", "--watch", "--timeout", "1m", env=env)
    try:
        (run,) = await wait_for(lambda: runs_of(kube, namespace), timeout=30, message="the ArkRun")
        name = run["metadata"]["name"]
        started = at(-10)

        async def operator_writes(status: Obj, line: str) -> None:
            await set_status(kube, namespace, name, {"startTime": started, **status})
            await wait_for(lambda: line in ark_run.stderr_lines(), timeout=20, message=repr(line))

        await operator_writes(
            {"phase": "Running", "steps": [step("chef", "Running", attempt=1, startTime=at(-9))]},
            "chef [running]",
        )
        chef_done = step(
            "chef",
            "Succeeded",
            attempt=1,
            startTime=at(-9),
            completionTime=at(-7),
            output="Boil water. Add tomatoes.",
            tokenUsage={"inputTokens": 30, "outputTokens": 12, "totalTokens": 42},
        )
        await operator_writes(
            {
                "phase": "Running",
                "steps": [chef_done, step("critic", "Running", attempt=1, startTime=at(-6))],
            },
            "critic [running]",
        )
        await operator_writes(
            {
                "phase": "Running",
                "steps": [
                    chef_done,
                    step("critic", "Pending", attempt=1, message="retrying: too short", startTime=at(-6)),
                ],
            },
            "critic [retry] too short",
        )
        # The final output is 300,000 characters: the operator keeps it in ConfigMaps, the status a preview.
        big = "".join(f"line {i}: simmer and stir\n" for i in range(12_000))
        ref = await write_output(kube, run, PendingOutput("", big, None, digest_of(big, None)))
        await set_status(
            kube,
            namespace,
            name,
            {
                "phase": "Succeeded",
                "startTime": started,
                "completionTime": at(),
                "durationSeconds": 10.0,
                "output": preview(big, len(big), True),
                "outputRef": ref.model_dump(mode="json", by_alias=True),
                "totalTokenUsage": {"inputTokens": 60, "outputTokens": 24, "totalTokens": 84},
                "steps": [
                    chef_done,
                    step(
                        "critic",
                        "Succeeded",
                        attempt=2,
                        startTime=at(-6),
                        completionTime=at(-1),
                        output="ok",
                        tokenUsage={"inputTokens": 30, "outputTokens": 12, "totalTokens": 42},
                    ),
                    step("nutritionist", "Skipped", message="skipped: if condition evaluated to false"),
                ],
                "conditions": ready("Succeeded", "Succeeded", "the run succeeded"),
            },
        )
        assert ark_run.finish() == 0, ark_run.stderr
    finally:
        ark_run.close()
    assert ark_run.stderr_lines() == [
        "chef [running]",
        "chef [done] 42 tokens 2.00s",
        "  └─ Boil water. Add tomatoes.",
        "critic [running]",
        "critic [retry] too short",
        "critic [running] attempt 2",  # the status of the second attempt's start was not written
        "critic [done] 42 tokens 5.00s",
        "  └─ ok",
        "nutritionist [skipped] skipped: if condition evaluated to false",
    ]
    out = ark_run.stdout
    assert out.startswith(
        f"arkrun.arkonis.dev/{name} created\n\nTeam planner Succeeded in 10.00 s — total: 84 tokens\n"
    )
    assert out.endswith("\nOutput:\n" + big + "\n")


async def test_sync_of_a_failed_run_exits_1_naming_the_step(
    env: dict[str, str], kube: KubeClient, namespace: str
) -> None:
    ark_run = Background("trigger", "planner", "-i", "dish=soup", "--sync", env=env)
    try:
        (run,) = await wait_for(lambda: runs_of(kube, namespace), timeout=30, message="the ArkRun")
        failure = 'validation failed: validate.contains: "kcal" not found'
        await set_status(
            kube,
            namespace,
            run["metadata"]["name"],
            {
                "phase": "Failed",
                "startTime": stamp(-3),
                "completionTime": stamp(),
                "failedStep": "critic",
                "message": f'step "critic" failed: {failure}',
                "steps": [
                    step("chef", "Succeeded", startTime=stamp(-3), completionTime=stamp(-2), output="soup"),
                    step("critic", "Failed", startTime=stamp(-2), completionTime=stamp(), message=failure),
                ],
                "conditions": ready("Failed", "StepFailed", f'step "critic" failed: {failure}'),
            },
        )
        assert ark_run.finish() == 1
    finally:
        ark_run.close()
    assert ark_run.stderr == f'ark trigger: failed: step "critic": {failure}\n'
    assert f'Failed: step "critic" failed: {failure}' in ark_run.stdout


def test_timeout_says_the_run_goes_on_and_how_to_follow_it(
    env: dict[str, str], kubectl: Kubectl, namespace: str
) -> None:
    result = ark("trigger", "planner", "-i", "dish=soup", "--sync", "--timeout", "1500ms", env=env)

    assert result.returncode == 124
    (name,) = [n.removeprefix("arkrun.arkonis.dev/") for n in run_names(kubectl, namespace)]
    assert result.stdout == f"arkrun.arkonis.dev/{name} created\n"
    assert result.stderr == (
        f"ark trigger: timed out after 1s: arkrun {name} is still Pending (no operator has picked it up: "
        "is the ark operator running?); it goes on: follow it with "
        f"`ark status {name} --watch -n {namespace}`\n"
    )


def test_a_timeout_that_is_not_a_duration_is_a_usage_error(
    env: dict[str, str], kubectl: Kubectl, namespace: str
) -> None:
    result = ark("trigger", "planner", "-i", "dish=soup", "--sync", "--timeout", "90", env=env)
    assert result.returncode == 2
    assert "argument --timeout: invalid duration '90': missing unit (write 90s" in result.stderr
    assert run_names(kubectl, namespace) == []


async def test_json_output_is_ark_runs_document_and_the_created_line_goes_to_stderr(
    env: dict[str, str], kube: KubeClient, namespace: str
) -> None:
    ark_run = Background("trigger", "planner", "-i", "dish=soup", "--sync", "-o", "json", env=env)
    try:
        (run,) = await wait_for(lambda: runs_of(kube, namespace), timeout=30, message="the ArkRun")
        name = run["metadata"]["name"]
        done = {"startTime": stamp(-2), "completionTime": stamp(-1), "output": "done"}
        await set_status(
            kube,
            namespace,
            name,
            {
                "phase": "Succeeded",
                "startTime": stamp(-2),
                "completionTime": stamp(),
                "output": "three steps done",
                "totalTokenUsage": {"inputTokens": 3, "outputTokens": 3, "totalTokens": 6},
                "steps": [step(n, "Succeeded", **done) for n in ("chef", "critic", "nutritionist")],
                "conditions": ready("Succeeded", "Succeeded", "the run succeeded"),
            },
        )
        assert ark_run.finish() == 0
    finally:
        ark_run.close()
    assert ark_run.stderr == f"arkrun.arkonis.dev/{name} created\n"
    document = json.loads(ark_run.stdout)
    assert list(document) == [
        "version", "run", "team", "mode", "phase", "reason", "message", "failedStep", "input", "output",
        "startTime", "completionTime", "durationSeconds", "tokens", "steps",
    ]  # fmt: skip
    assert (document["run"], document["team"], document["mode"], document["phase"]) == (
        name,
        "planner",
        "Pipeline",
        "Succeeded",
    )
    assert document["input"] == {"dish": "soup", "diet": "none"}
    assert document["output"] == "three steps done"
    assert [(s["name"], s["agent"], s["phase"]) for s in document["steps"]] == [
        ("chef", "planner-chef", "Succeeded"),
        ("critic", "planner-critic", "Succeeded"),
        ("nutritionist", "planner-nutritionist", "Succeeded"),
    ]


async def test_ctrl_c_stops_waiting_and_says_the_run_goes_on(
    env: dict[str, str], kube: KubeClient, namespace: str
) -> None:
    ark_run = Background("trigger", "planner", "-i", "dish=soup", "--watch", env=env)
    try:
        (run,) = await wait_for(lambda: runs_of(kube, namespace), timeout=30, message="the ArkRun")
        name = run["metadata"]["name"]
        await wait_for(lambda: "created" in ark_run.stdout, timeout=20, message="the created line")
        ark_run.interrupt()
        assert ark_run.finish() == 130
    finally:
        ark_run.close()
    assert ark_run.stderr == (
        f"\nark trigger: stopped waiting; arkrun {name} goes on: follow it with "
        f"`ark status {name} --watch -n {namespace}`\n"
    )
    assert [item["metadata"]["name"] for item in await runs_of(kube, namespace)] == [name]
