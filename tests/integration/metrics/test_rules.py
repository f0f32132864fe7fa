"""The shipped alert rules, checked and exercised by the real promtool."""

from __future__ import annotations

from pathlib import Path

from tests.support.prometheus import promtool

REPO = Path(__file__).resolve().parents[3]
RULES = REPO / "manifests" / "prometheus" / "ark-rules.yaml"
CASES = Path(__file__).with_name("ark_rules_test.yaml")


def test_the_rule_file_passes_promtool_check_rules() -> None:
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 4 rules found" in checked.stdout


def test_each_alert_fires_when_it_should_and_only_then() -> None:
    tested = promtool("test", "rules", str(CASES))
    assert tested.returncode == 0, tested.stdout + tested.stderr
