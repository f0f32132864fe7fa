"""``ark status`` against a real API server: the runs table, one run's tree and output, --watch."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from typing import Any

import pytest

from ark.api.run import RunTrigger
from ark.controllers.resources import ARK_RUNS, ARK_TEAMS
from ark.kube.client import KubeClient
from ark.runs.create import run_for_team
from ark.runs.outputs import PendingOutput, digest_of, preview, write_output
from tests.integration.cli.support import ARK, Background, ark, ready, set_status, stamp, step
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.usefixtures("teams")]
Obj = dict[str, Any]


async def new_run(kube: KubeClient, namespace: str, team: str, given: dict[str, str]) -> Obj:
    """A run created as ``ark trigger`` creates one."""
    body = run_for_team(
        await kube.get(ARK_TEAMS, team, namespace), given, RunTrigger(type="manual", source="bob")
    )
    return await kube.create(ARK_RUNS, body.body)


async def test_the_table_lists_every_run_newest_first(
    env: dict[str, str], kube: KubeClient, namespace: str
) -> None:
    done = await new_run(kube, namespace, "planner", {"dish": "soup"})
    await set_status(
        kube,
        namespace,
        done["metadata"]["name"],
        {
            "phase": "Succeeded",
            "startTime": stamp(-5),
            "completionTime": stamp(-2),
            "durationSeconds": 3.25,
            "totalTokenUsage": {"inputTokens": 80, "outputTokens": 40, "totalTokens": 120},
            "steps": [
                step("chef", "Succeeded"),
                step("critic", "Skipped"),
                step("nutritionist", "Succeeded"),
            ],
            "conditions": ready("Succeeded", "Succeeded", "the run succeeded"),
        },
    )
    running = await new_run(kube, namespace, "planner", {"dish": "stew"})
    await set_status(
        kube,
        namespace,
        running["metadata"]["name"],
        {"phase": "Running", "startTime": stamp(-1), "steps": [step("chef", "Running", attempt=1)]},
    )
    pending = await new_run(kube, namespace, "desk", {"task": "printer on fire"})
    runs = [done, running, pending]

    result = ark("status", env=env)

    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["NAME", "TEAM", "PHASE", "STEPS", "TOKENS", "DURATION", "AGE"]
    by_name = {row.split()[0]: row.split() for row in rows}
    assert by_name[done["metadata"]["name"]][1:6] == ["planner", "Succeeded", "3/3", "120", "3.2s"]
    assert by_name[running["metadata"]["name"]][1:5] == ["planner", "Running", "0/3", "0"]
    assert by_name[pending["metadata"]["name"]][1:6] == ["desk", "Pending", "0/1", "0", "-"]
    # Newest first; runs created within the same second (timestamps have seconds) by name.
    by_name_first = sorted(runs, key=lambda r: r["metadata"]["name"])
    expected = sorted(by_name_first, key=lambda r: r["metadata"]["creationTimestamp"], reverse=True)
    assert [row.split()[0] for row in rows] == [r["metadata"]["name"] for r in expected]

    only_desk = ark("status", "--team", "desk", "-o", "json", env=env)
    document = json.loads(only_desk.stdout)
    assert [item["name"] for item in document["runs"]] == [pending["metadata"]["name"]]
    assert document["runs"][0]["trigger"] == {"type": "manual", "source": "bob"}
    assert document["namespace"] == namespace


def test_an_empty_namespace_says_so(env: dict[str, str], namespace: str) -> None:
    result = ark("status", env=env)
    assert (result.returncode, result.stdout) == (0, f"No ArkRuns in namespace {namespace}.\n")
    assert ark("status", "--team", "x", env=env).stdout == f"No ArkRuns of team x in namespace {namespace}.\n"


async def test_one_run_shows_the_delegation_tree_and_its_full_output(
    env: dict[str, str], kube: KubeClient, namespace: str
) -> None:
    run = await new_run(kube, namespace, "desk", {"task": "printer on fire"})
    name = run["metadata"]["name"]
    # The hop's answer is 200,000 characters: the operator keeps it in ConfigMaps.
    long_answer = "toner " * 33_334
    ref = await write_output(
        kube, run, PendingOutput("triage/tech", long_answer, None, digest_of(long_answer, None))
    )
    await set_status(
        kube,
        namespace,
        name,
        {
            "phase": "Succeeded",
            "startTime": stamp(-9),
            "completionTime": stamp(),
            "durationSeconds": 9.0,
            "output": "Replaced the toner.",
            "totalTokenUsage": {"inputTokens": 20, "outputTokens": 10, "totalTokens": 30},
            "steps": [
                step(
                    "triage",
                    "Succeeded",
                    startTime=stamp(-9),
                    completionTime=stamp(),
                    output="Replaced the toner.",
                    tokenUsage={"inputTokens": 10, "outputTokens": 5, "totalTokens": 15},
                ),
                step(
                    "triage/tech",
                    "Succeeded",
                    role="tech",
                    parent="triage",
                    startTime=stamp(-8),
                    completionTime=stamp(-4),
                    output=preview(long_answer, len(long_answer), True),
                    outputRef=ref.model_dump(mode="json", by_alias=True),
                    tokenUsage={"inputTokens": 10, "outputTokens": 5, "totalTokens": 15},
                ),
            ],
            "conditions": ready("Succeeded", "Succeeded", "the run succeeded"),
        },
    )

    result = ark("status", name, env=env)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:5] == [
        f"Name:       {name}",
        f"Namespace:  {namespace}",
        "Team:       desk (Dynamic)",
        "Trigger:    manual by bob",
        "Phase:      Succeeded",
    ]
    assert "Duration:   9.0s" in lines
    assert "Tokens:     30 (20 in, 10 out)" in lines
    table = lines[lines.index("STEP      PHASE       TOKENS   DURATION   MESSAGE") :]
    assert table[1:3] == ["triage    Succeeded   15       9.0s", "└─ tech   Succeeded   15       4.0s"]
    assert result.stdout.endswith("\nOutput:\nReplaced the toner.\n")

    as_json = json.loads(ark("status", name, "-o", "json", env=env).stdout)
    hop = as_json["steps"][1]
    assert (hop["name"], hop["kind"], hop["parent"]) == ("triage/tech", "delegate", "triage")
    assert hop["output"] == long_answer  # read back in full from the ConfigMaps


async def test_an_unknown_run_lists_the_recent_ones(
    env: dict[str, str], kube: KubeClient, namespace: str
) -> None:
    run = await new_run(kube, namespace, "planner", {"dish": "soup"})
    result = ark("status", "planner-nope", env=env)
    assert result.returncode == 2
    assert result.stderr == (
        f"ark status: ArkRun {namespace}/planner-nope not found; recent runs: {run['metadata']['name']}\n"
    )
    assert ark("status", "--watch", env=env).stderr.startswith("ark status: --watch follows one run")


async def test_watch_follows_one_run_to_its_end_and_exits_by_phase(
    env: dict[str, str], kube: KubeClient, namespace: str
) -> None:
    run = await new_run(kube, namespace, "planner", {"dish": "soup"})
    name = run["metadata"]["name"]
    status = Background("status", name, "--watch", env=env)
    try:
        await set_status(
            kube,
            namespace,
            name,
            {
                "phase": "Running",
                "startTime": stamp(-2),
                "steps": [step("chef", "Running", attempt=1, startTime=stamp(-2))],
            },
        )
        await wait_for(lambda: "chef [running]" in status.stderr_lines(), timeout=20, message="chef running")
        await set_status(
            kube,
            namespace,
            name,
            {
                "phase": "Failed",
                "startTime": stamp(-2),
                "completionTime": stamp(),
                "failedStep": "chef",
                "message": 'step "chef" failed: model down',
                "steps": [
                    step(
                        "chef",
                        "Failed",
                        attempt=1,
                        startTime=stamp(-2),
                        completionTime=stamp(),
                        message="model down",
                    )
                ],
                "conditions": ready("Failed", "StepFailed", 'step "chef" failed: model down'),
            },
        )
        assert status.finish() == 1
    finally:
        status.close()
    assert status.stderr_lines() == ["chef [running]", "chef [failed] model down"]
    assert status.stdout.startswith(f"Name:       {name}\n")
    assert "Phase:      Failed (StepFailed)\n" in status.stdout
    assert status.stdout.endswith('\nFailed: step "chef": model down\n')


def read_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run ``ark`` with stderr on a pseudo-terminal (as in a user's shell); exit code, stdout, screen."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([ARK, *args], stdout=subprocess.PIPE, stderr=slave, text=True, env=env)
    os.close(slave)
    out, _ = proc.communicate(timeout=60)
    screen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal's other end is closed: everything was read
            break
        if not chunk:
            break
        screen += chunk
    os.close(master)
    return proc.returncode, out, screen.decode(errors="replace")


async def test_on_a_terminal_watch_draws_ark_runs_live_table(
    env: dict[str, str], kube: KubeClient, namespace: str
) -> None:
    run = await new_run(kube, namespace, "planner", {"dish": "soup"})
    name = run["metadata"]["name"]
    await set_status(
        kube,
        namespace,
        name,
        {
            "phase": "Succeeded",
            "startTime": stamp(-4),
            "completionTime": stamp(),
            "output": "soup",
            "steps": [
                step("chef", "Succeeded", startTime=stamp(-4), completionTime=stamp(-2), output="a recipe"),
                step("critic", "Skipped", message="skipped: if condition evaluated to false"),
                step(
                    "nutritionist", "Succeeded", startTime=stamp(-2), completionTime=stamp(), output="light"
                ),
            ],
            "conditions": ready("Succeeded", "Succeeded", "the run succeeded"),
        },
    )

    code, out, screen = read_terminal(["status", name, "--watch"], env)

    assert code == 0
    assert "planner · Pipeline · Succeeded" in screen
    rows = [line for line in screen.splitlines() if "│" in line]
    assert any("chef" in row and "Succeeded" in row and "a recipe" in row for row in rows), screen
    assert any("critic" in row and "Skipped" in row for row in rows), screen
    assert "[running]" not in screen  # the table, not the line view
    assert out.endswith("\nOutput:\nsoup\n")
