"""What the agent pods report turns into the ArkMemory's Ready condition."""

from __future__ import annotations

from ark.controllers.memory.check import Verdict
from ark.controllers.memory.reports import reported_verdict
from ark_runtime.memory.health import Report


def test_no_report_leaves_the_operators_own_verdict() -> None:
    assert reported_verdict([]) is None


def test_the_first_report_names_the_reason_the_pod_and_the_failure() -> None:
    verdict = reported_verdict(
        [Report("writer-1", "recall", "DimensionMismatch", "holds 4-dimensional vectors", 1.0)]
    )
    assert verdict == Verdict(
        False, "DimensionMismatch", "agent pod writer-1: memory recall fails: holds 4-dimensional vectors"
    )


def test_other_reports_are_counted() -> None:
    reports = [Report(f"p{i}", "write", "Unreachable", "cannot reach qdrant", float(i)) for i in range(3)]
    verdict = reported_verdict(reports)
    assert verdict is not None
    assert verdict.retry
    assert (
        verdict.message
        == "agent pod p0: memory write fails: cannot reach qdrant (2 more reports from agent pods)"
    )
    one_more = reported_verdict(reports[:2])
    assert one_more is not None
    assert one_more.message.endswith("(1 more report from agent pods)")
