"""Which event a run, a team or an agent shows, and which rule of a policy answers it."""

from __future__ import annotations

import datetime

import pytest

from ark.controllers.notify.events import (
    agent_occurrences,
    parse_time,
    rule_for,
    run_event,
    run_occurrence,
    since,
    team_occurrences,
)
from tests.unit.controllers.notify.support import SLACK, agent, policy, run, team


@pytest.mark.parametrize(
    ("phase", "reason", "event"),
    [
        ("Succeeded", None, "TeamSucceeded"),
        ("Failed", "StepFailed", "TeamFailed"),
        ("Failed", None, "TeamFailed"),
        ("Failed", "TimedOut", "TeamTimedOut"),
        ("Failed", "BudgetExceeded", "BudgetExceeded"),
        ("Running", None, None),
        (None, None, None),
    ],
)
def test_a_run_shows_one_event_from_its_phase_and_reason(
    phase: str | None, reason: str | None, event: str | None
) -> None:
    assert run_event(run(phase=phase, reason=reason)) == event


def test_a_finished_run_is_an_occurrence_keyed_by_name_and_uid() -> None:
    found = run_occurrence(run(message="step write failed", phase="Failed", reason="StepFailed"), team())
    assert found is not None
    assert found.key == "ArkRun/blog-x4kpz/uid-blog-x4kpz"
    assert (found.type, found.rate_key) == ("TeamFailed", "ArkTeam/blog")
    assert found.at == datetime.datetime(2026, 12, 3, 10, 5, tzinfo=datetime.UTC)
    assert found.message == "ArkRun blog-x4kpz of ArkTeam blog Failed: step write failed"
    assert run_occurrence(run(phase="Running"), team()) is None


def test_a_run_without_times_is_not_an_occurrence() -> None:
    unfinished = run()
    unfinished["status"].pop("completionTime")
    unfinished["metadata"].pop("creationTimestamp")
    assert run_occurrence(unfinished, team()) is None


BUDGET = {
    "type": "BudgetExceeded",
    "status": "True",
    "reason": "DailyLimitReached",
    "message": "120 of 100 tokens used",
    "lastTransitionTime": "2026-12-03T11:00:00Z",
}


def test_a_team_whose_budget_is_used_up_shows_daily_limit_reached_once_per_transition() -> None:
    [found] = team_occurrences(team(conditions=[BUDGET]))
    assert found.type == "DailyLimitReached"
    assert found.key == "ArkTeam/blog/DailyLimitReached@2026-12-03T11:00:00Z"
    assert found.message == "ArkTeam blog reached its daily token limit: 120 of 100 tokens used"
    assert team_occurrences(team(conditions=[{**BUDGET, "status": "False"}])) == []
    assert team_occurrences(team()) == []


def test_an_agent_whose_budget_is_used_up_shows_budget_exceeded() -> None:
    [found] = agent_occurrences(agent(conditions=[BUDGET]))
    assert (found.type, found.rate_key, found.agent is not None) == (
        "BudgetExceeded",
        "ArkAgent/writer",
        True,
    )
    assert found.key == "ArkAgent/writer/BudgetExceeded@2026-12-03T11:00:00Z"


def ready(reason: str, at: str, status: str = "False") -> dict[str, str]:
    return {
        "type": "Ready",
        "status": status,
        "reason": reason,
        "message": "0/1 replicas ready",
        "lastTransitionTime": at,
    }


def test_an_agent_that_lost_its_ready_replicas_later_is_degraded() -> None:
    [found] = agent_occurrences(agent(conditions=[ready("Progressing", "2026-12-03T12:00:00Z")], ready=0))
    assert found.type == "AgentDegraded"
    assert found.message == "ArkAgent writer is degraded: 0/1 replicas ready"


@pytest.mark.parametrize(
    ("condition", "ready_replicas"),
    [
        (ready("Progressing", "2026-12-03T10:00:30Z"), 0),  # the first rollout
        (ready("Progressing", "2026-12-03T12:00:00Z"), 1),  # a rollout keeping the old pod ready
        (ready("ScaledToZero", "2026-12-03T12:00:00Z"), 0),
        (ready("BudgetExceeded", "2026-12-03T12:00:00Z"), 0),
        (ready("AllReplicasReady", "2026-12-03T12:00:00Z", "True"), 1),
        (ready("Progressing", "not a time"), 0),
    ],
)
def test_an_agent_is_not_degraded_by_a_rollout_scaling_or_its_budget(
    condition: dict[str, str], ready_replicas: int
) -> None:
    assert agent_occurrences(agent(conditions=[condition], ready=ready_replicas)) == []


def test_a_specific_failure_falls_back_to_the_team_failed_rule() -> None:
    only_failed = policy(channel=SLACK, events=[{"type": "TeamFailed", "template": "x"}])
    timed_out = run_occurrence(run(phase="Failed", reason="TimedOut"), team())
    assert timed_out is not None
    rule = rule_for(only_failed, timed_out)
    assert rule is not None
    assert rule.type == "TeamFailed"
    both = policy(channel=SLACK, events=[{"type": "TeamFailed"}, {"type": "TeamTimedOut"}])
    rule = rule_for(both, timed_out)
    assert rule is not None
    assert rule.type == "TeamTimedOut"
    [agent_budget] = agent_occurrences(agent(conditions=[BUDGET]))
    assert rule_for(only_failed, agent_budget) is None  # only a run's failure falls back


def test_the_docs_form_without_on_wants_every_event() -> None:
    docs = policy(channels=[SLACK])
    [found] = team_occurrences(team(conditions=[BUDGET]))
    assert rule_for(docs, found) is not None
    assert rule_for(policy(channels=[SLACK], on=["TeamSucceeded"]), found) is None


def test_only_events_since_the_policy_was_created_count_oldest_first() -> None:
    early = run_occurrence(run("a", completionTime="2026-12-03T09:59:59Z"), team())
    late = run_occurrence(run("b", completionTime="2026-12-03T10:30:00Z"), team())
    same = run_occurrence(run("c", completionTime="2026-12-03T10:00:00Z"), team())
    assert early is not None
    assert late is not None
    assert same is not None
    kept = since([late, early, same], parse_time("2026-12-03T10:00:00Z"))
    assert [o.subject for o in kept] == ["blog", "blog"]
    assert [o.run["metadata"]["name"] for o in kept if o.run] == ["c", "b"]


@pytest.mark.parametrize("value", [None, "", "yesterday", "2026-12-03T10:00:00", 5])
def test_times_that_are_not_rfc3339_with_a_zone_are_none(value: object) -> None:
    assert parse_time(value) is None
