"""The chart's copies of manifests/ (CRDs, the operator's ClusterRole) are current."""

from __future__ import annotations

import subprocess
import sys

import yaml
from chartgen import CHART, REPO_DIR, expected_files


def test_the_generated_chart_files_match_manifests() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO_DIR / "hack" / "chartgen.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_the_chart_role_has_the_rules_of_manifests_rbac() -> None:
    generated = expected_files()[CHART / "templates" / "cluster_role.yaml"]
    body = generated.split("rules:\n", 1)[1]
    role = yaml.safe_load((REPO_DIR / "manifests" / "rbac" / "role.yaml").read_text())
    assert yaml.safe_load(body) == role["rules"]
