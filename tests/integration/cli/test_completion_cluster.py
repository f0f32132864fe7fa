"""Team and run names completed from the cluster, by the bash script ``ark completion bash`` prints."""

from __future__ import annotations

import re

from tests.integration.cli.support import ark
from tests.support.completion import bash_complete


def test_trigger_completes_the_teams_of_the_namespace(teams: None, env: dict[str, str]) -> None:
    assert bash_complete("ark trigger ", env) == ["desk", "planner"]
    assert bash_complete("ark trigger pl", env) == ["planner"]
    assert bash_complete("ark submit --team d", env) == ["desk"]


def test_the_namespace_on_the_line_is_the_one_asked(teams: None, env: dict[str, str]) -> None:
    assert bash_complete("ark trigger -n default ", env) == []


def test_status_and_retry_complete_the_runs_of_the_namespace(teams: None, env: dict[str, str]) -> None:
    names = []
    for dish in ("soup", "salad"):
        created = ark("trigger", "planner", "--input", f"dish={dish}", env=env)
        assert created.returncode == 0, created.stderr
        names.append(re.search(r"arkrun.arkonis.dev/(\S+) created", created.stdout + created.stderr)[1])  # type: ignore[index]
    assert sorted(bash_complete("ark status ", env)) == sorted(names)
    assert sorted(bash_complete("ark retry planner-", env)) == sorted(names)
    assert bash_complete(f"ark status {names[0]}", env) == [names[0]]
