"""``ark status`` tables: the runs of a namespace and one run in detail."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ark.cli.run_state import run_json, run_plan, run_state
from ark.cli.status_view import run_detail, runs_json, runs_table, step_counts

Obj = dict[str, Any]
NOW = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC).timestamp()
PIPELINE = {
    "roles": [{"name": n, "model": "m", "systemPrompt": "p"} for n in ("chef", "critic", "writer")],
    "pipeline": [
        {"role": "chef"},
        {"role": "critic", "dependsOn": ["chef"]},
        {"role": "writer", "dependsOn": ["chef"]},
    ],
}
DYNAMIC = {
    "entry": "triage",
    "roles": [
        {"name": "triage", "model": "m", "systemPrompt": "p", "canDelegate": ["tech"]},
        {"name": "tech", "model": "m", "systemPrompt": "p", "canDelegate": ["docs"]},
        {"name": "docs", "model": "m", "systemPrompt": "p"},
    ],
}


def run(name: str, created: str, team_spec: Obj, status: Obj | None = None, **spec: Any) -> Obj:
    obj: Obj = {
        "metadata": {"name": name, "namespace": "ns", "uid": f"uid-{name}", "creationTimestamp": created},
        "spec": {"teamRef": {"name": "t"}, "teamSpec": team_spec, **spec},
    }
    if status is not None:
        obj["status"] = status
    return obj


FINISHED = run(
    "t-old",
    "2025-01-01T11:00:00Z",
    PIPELINE,
    {
        "phase": "Succeeded",
        "startTime": "2025-01-01T11:00:01Z",
        "completionTime": "2025-01-01T11:00:04Z",
        "durationSeconds": 3.21,
        "totalTokenUsage": {"inputTokens": 90, "outputTokens": 30, "totalTokens": 120},
        "steps": [
            {"name": "chef", "phase": "Succeeded"},
            {"name": "critic", "phase": "Skipped"},
            {"name": "writer", "phase": "Succeeded"},
        ],
    },
)
RUNNING = run(
    "t-new",
    "2025-01-01T11:58:00Z",
    PIPELINE,
    {
        "phase": "Running",
        "startTime": "2025-01-01T11:59:00Z",
        "steps": [{"name": "chef", "phase": "Succeeded"}, {"name": "critic", "phase": "Running"}],
    },
)
PENDING = run("t-pend", "2025-01-01T11:59:30Z", DYNAMIC)


def test_the_runs_table_is_newest_first_with_kubectl_columns() -> None:
    assert runs_table([FINISHED, PENDING, RUNNING], NOW).splitlines() == [
        "NAME     TEAM   PHASE       STEPS   TOKENS   DURATION   AGE",
        "t-pend   t      Pending     0/1     0        -          30s",
        "t-new    t      Running     1/3     0        60s        2m",
        "t-old    t      Succeeded   3/3     120      3.2s       60m",
    ]


def test_steps_count_delegation_hops_as_they_appear() -> None:
    hops = run(
        "d",
        "2025-01-01T11:00:00Z",
        DYNAMIC,
        {"steps": [{"name": "triage", "phase": "Running"}, {"name": "triage/tech", "phase": "Succeeded"}]},
    )
    assert step_counts(hops) == (1, 2)
    assert step_counts(run("r", "x", {"routing": {"registryRef": {"name": "r"}, "model": "m"}})) == (0, 2)


def test_the_runs_json_summarises_each_run() -> None:
    document = runs_json([FINISHED, RUNNING], "ns", NOW)
    assert document["version"] == 1
    assert document["namespace"] == "ns"
    assert [item["name"] for item in document["runs"]] == ["t-new", "t-old"]
    assert document["runs"][1] == {
        "name": "t-old",
        "team": "t",
        "phase": "Succeeded",
        "steps": {"done": 3, "total": 3},
        "tokens": 120,
        "durationSeconds": 3.21,
        "creationTimestamp": "2025-01-01T11:00:00Z",
        "startTime": "2025-01-01T11:00:01Z",
        "completionTime": "2025-01-01T11:00:04Z",
        "trigger": None,
    }


TREE = run(
    "t-tree",
    "2025-01-01T11:00:00Z",
    DYNAMIC,
    {
        "phase": "Succeeded",
        "startTime": "2025-01-01T11:00:00Z",
        "completionTime": "2025-01-01T11:00:09Z",
        "durationSeconds": 9.0,
        "output": "all fixed",
        "totalTokenUsage": {"inputTokens": 40, "outputTokens": 20, "totalTokens": 60},
        "steps": [
            {
                "name": "triage",
                "phase": "Succeeded",
                "startTime": "2025-01-01T11:00:00Z",
                "completionTime": "2025-01-01T11:00:09Z",
                "tokenUsage": {"inputTokens": 20, "outputTokens": 10, "totalTokens": 30},
            },
            {
                "name": "triage/tech",
                "role": "tech",
                "parent": "triage",
                "phase": "Succeeded",
                "startTime": "2025-01-01T11:00:01Z",
                "completionTime": "2025-01-01T11:00:05Z",
                "tokenUsage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15},
            },
            {
                "name": "triage/tech/docs",
                "role": "docs",
                "parent": "triage/tech",
                "phase": "Failed",
                "message": "docs are down",
                "startTime": "2025-01-01T11:00:02Z",
                "completionTime": "2025-01-01T11:00:03Z",
            },
            {
                "name": "triage/tech#2",
                "role": "tech",
                "parent": "triage",
                "phase": "Succeeded",
                "startTime": "2025-01-01T11:00:06Z",
                "completionTime": "2025-01-01T11:00:07Z",
                "tokenUsage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15},
            },
        ],
    },
    input={"task": "fix it"},
    trigger={"type": "submit", "source": "alice"},
)


def test_one_run_shows_the_delegation_tree_and_the_output() -> None:
    state = run_state(TREE, run_plan(TREE))
    assert run_detail(TREE, state, NOW).splitlines() == [
        "Name:       t-tree",
        "Namespace:  ns",
        "Team:       t (Dynamic)",
        "Trigger:    submit by alice",
        "Phase:      Succeeded",
        "Created:    2025-01-01T11:00:00Z (60m ago)",
        "Duration:   9.0s",
        "Tokens:     60 (40 in, 20 out)",
        "Input:",
        "  task: fix it",
        "",
        "STEP        PHASE       TOKENS   DURATION   MESSAGE",
        "triage      Succeeded   30       9.0s",
        "└─ tech     Succeeded   15       4.0s",
        "  └─ docs   Failed      0        1.0s       docs are down",
        "└─ tech#2   Succeeded   15       1.0s",
        "",
        "Output:",
        "all fixed",
    ]


def test_a_failed_retry_names_its_origin_and_the_failing_step() -> None:
    failed = run(
        "t-retry",
        "2025-01-01T11:59:00Z",
        PIPELINE,
        {
            "phase": "Failed",
            "failedStep": "critic",
            "message": 'step "critic" failed',
            "steps": [
                {"name": "chef", "phase": "Succeeded", "message": "reused from run t-old"},
                {"name": "critic", "phase": "Failed", "message": "validation failed: too short"},
                {"name": "writer", "phase": "Failed", "message": 'cancelled: step "critic" failed'},
            ],
            "conditions": [
                {
                    "type": "Ready",
                    "status": "False",
                    "reason": "StepFailed",
                    "lastTransitionTime": "2025-01-01T11:59:05Z",
                    "message": 'step "critic" failed',
                }
            ],
        },
        trigger={"type": "retry", "source": "bob"},
        retryOf={"run": "t-old", "reuse": ["chef"]},
    )
    text = run_detail(failed, run_state(failed, run_plan(failed)), NOW)
    assert "Trigger:    retry of t-old (reusing chef) by bob\n" in text
    assert "Phase:      Failed (StepFailed)\n" in text
    assert "Input:      (none)\n" in text
    assert "chef     Succeeded   0        -          reused from run t-old\n" in text
    assert text.endswith('\nFailed: step "critic": validation failed: too short\n')
    assert "Output:" not in text


def test_the_json_of_one_run_is_ark_runs_shape_named_after_the_arkrun() -> None:
    document = run_json(TREE, run_state(TREE, run_plan(TREE)))
    assert document["run"] == "t-tree"
    assert (document["phase"], document["mode"], document["output"]) == ("Succeeded", "Dynamic", "all fixed")
    assert [(s["name"], s["kind"], s["parent"]) for s in document["steps"]] == [
        ("triage", "step", None),
        ("triage/tech", "delegate", "triage"),
        ("triage/tech/docs", "delegate", "triage/tech"),
        ("triage/tech#2", "delegate", "triage"),
    ]
    assert document["tokens"] == {"input": 40, "output": 20, "total": 60}
