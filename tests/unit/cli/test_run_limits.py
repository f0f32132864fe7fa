"""``ark run`` reads the runtime's caps and timeouts from its environment, as an agent pod does."""

from __future__ import annotations

from tests.unit.cli.support import SAMPLES, ark


def test_a_malformed_cap_stops_ark_run_before_anything_runs() -> None:
    team = str(SAMPLES / "team-pipeline.yaml")
    done = ark(
        "run", team, "--provider", "mock", "--input", "dish=soup", env={"AGENT_MAX_RESULT_BYTES": "-1"}
    )
    assert done.returncode == 2
    assert done.stderr.endswith("\nark run: AGENT_MAX_RESULT_BYTES must be at least 1, got -1\n")


def test_the_result_cap_applies_to_ark_run_too() -> None:
    done = ark(
        "run",
        str(SAMPLES / "team-pipeline.yaml"),
        "--provider",
        "mock",
        "--input",
        "dish=soup",
        env={"AGENT_MAX_RESULT_BYTES": "10"},
    )
    assert done.returncode == 1
    assert (
        "more than the 10-byte result cap (AGENT_MAX_RESULT_BYTES); it was not written to the queue"
        in done.stderr
    )
