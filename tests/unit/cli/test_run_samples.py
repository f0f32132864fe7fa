"""Every team sample runs to Succeeded with the mock provider, through the installed ``ark`` command."""

from __future__ import annotations

import json

import pytest

from tests.unit.cli.support import SAMPLES, ark

SAMPLE_RUNS = [
    ("arkteam.yaml", ["--input", "text=Operators reconcile state."]),
    ("arkrun.yaml", []),
    ("team-pipeline.yaml", ["--input", "dish=tomato soup"]),
    ("team-dynamic.yaml", ["--input", '{"task": "My invoice 42 is wrong and the app crashes."}']),
    ("team-routed.yaml", ["--input", "task=Why is my query slow?"]),
    ("team-mixed.yaml", ["--input", "topic=sea otters"]),
]


@pytest.mark.parametrize(("sample", "args"), SAMPLE_RUNS, ids=[s for s, _ in SAMPLE_RUNS])
def test_every_team_sample_succeeds_with_the_mock(sample: str, args: list[str]) -> None:
    done = ark("run", str(SAMPLES / sample), "--provider", "mock", "--output", "json", *args)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["phase"] == "Succeeded"
    assert result["reason"] == "Succeeded"
    assert result["output"]
    assert all(step["phase"] in ("Succeeded", "Skipped") for step in result["steps"])
    assert result["tokens"]["total"] == sum(step["tokens"]["total"] for step in result["steps"]) > 0


def test_the_pipeline_sample_exercises_schema_if_loop_and_validate() -> None:
    done = ark("run", str(SAMPLES / "team-pipeline.yaml"), "--mock", "-o", "json", "-i", "dish=soup")
    result = json.loads(done.stdout)
    steps = {step["name"]: step for step in result["steps"]}
    assert steps["chef"]["data"]["title"]
    assert len(steps["chef"]["data"]["steps"]) >= 3
    assert steps["critic"]["iterations"] == 3
    assert steps["critic"]["message"] == "loop stopped at maxIterations (3) with the condition still true"
    assert steps["nutritionist"]["data"]["calories"] >= 1
    assert result["input"] == {"dish": "soup", "diet": "none"}
    assert result["output"].startswith("## mock title\n")
    assert "skipped (not used by a local run): ArkEvent/recipe-requests" in done.stderr


def test_the_dynamic_sample_records_the_delegation_tree() -> None:
    done = ark("run", str(SAMPLES / "team-dynamic.yaml"), "--mock", "-o", "json", "-i", "task=help")
    result = json.loads(done.stdout)
    tree = [(s["name"], s["parent"], s["role"], s["agent"], s["kind"]) for s in result["steps"]]
    assert tree == [
        ("triage", None, "triage", "support-desk-triage", "step"),
        ("triage/billing", "triage", "billing", "billing-agent", "delegate"),
        ("triage/tech", "triage", "tech", "support-desk-tech", "delegate"),
        ("triage/tech/docs", "triage/tech", "docs", "support-desk-docs", "delegate"),
    ]


def test_the_routed_sample_records_the_routing_decision() -> None:
    done = ark("run", str(SAMPLES / "team-routed.yaml"), "--mock", "-o", "json", "-i", "task=slow query")
    result = json.loads(done.stdout)
    route, dispatched = result["steps"]
    assert route["name"] == "route"
    assert route["kind"] == "route"
    assert route["selectedCapability"] in ("sql", "kubernetes")
    assert route["resolvedAgent"] == dispatched["name"] == dispatched["agent"]
    assert route["routingReason"]
    assert result["output"] == dispatched["output"]


def test_the_samples_directory_runs_the_team_picked_with_team() -> None:
    done = ark("run", str(SAMPLES), "--mock", "--team", "support-desk", "-i", "task=hi")
    assert done.returncode == 0, done.stderr
    assert "Team support-desk Succeeded" in done.stdout
    assert "skipped (not used by a local run):" in done.stderr


def test_several_teams_without_team_run_the_first_with_a_warning() -> None:
    done = ark(
        "run", str(SAMPLES / "team-routed.yaml"), str(SAMPLES / "team-dynamic.yaml"), "--mock", "-i", "task=x"
    )
    assert done.returncode == 0, done.stderr
    assert (
        'warning: several teams given; running "helpdesk" (others: support-desk); pick one with --team'
        in (done.stderr)
    )
