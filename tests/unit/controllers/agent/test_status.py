"""Status and conditions of an ArkAgent from what a reconcile observed."""

from __future__ import annotations

import datetime
from typing import Any

from ark.controllers.agent.status import Observation, compute_status, condition_changed, owned_status
from ark.controllers.budget import evaluate
from ark_runtime.queue.budget import WINDOW_MS

T0 = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
T1 = T0 + datetime.timedelta(minutes=5)
NOW_MS = int(T0.timestamp() * 1000)


def deployment(ready: int, replicas: int, *, generation: int = 1, observed: int = 1) -> dict[str, Any]:
    return {
        "metadata": {"generation": generation},
        "status": {"replicas": replicas, "readyReplicas": ready, "observedGeneration": observed},
    }


def observe(desired: int = 3, dep: dict[str, Any] | None = None, **found: Any) -> Observation:
    return Observation(4, desired, "sel", dep, **found)


def ready(status: dict[str, Any]) -> tuple[str, str, str]:
    (condition,) = [c for c in status["conditions"] if c["type"] == "Ready"]
    return condition["status"], condition["reason"], condition["message"]


def test_all_replicas_ready() -> None:
    status = compute_status(None, observe(3, deployment(3, 3)), T0)
    assert ready(status) == ("True", "AllReplicasReady", "3/3 replicas ready")
    assert status == {
        "replicas": 3,
        "readyReplicas": 3,
        "selector": "sel",
        "observedGeneration": 4,
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "AllReplicasReady",
                "message": "3/3 replicas ready",
                "observedGeneration": 4,
                "lastTransitionTime": "2025-01-02T03:04:05Z",
            }
        ],
    }


def test_progressing_while_pods_come_up_or_the_rollout_is_not_observed() -> None:
    assert ready(compute_status(None, observe(3, deployment(1, 3)), T0)) == (
        "False",
        "Progressing",
        "1/3 replicas ready",
    )
    assert ready(compute_status(None, observe(3, None), T0)) == ("False", "Progressing", "0/3 replicas ready")
    stale = deployment(3, 3, generation=2, observed=1)
    assert ready(compute_status(None, observe(3, stale), T0))[1] == "Progressing"


def test_scaled_to_zero_is_not_progressing() -> None:
    assert ready(compute_status(None, observe(0, deployment(0, 0)), T0)) == (
        "False",
        "ScaledToZero",
        "scaled to 0 replicas",
    )


def test_errors_win_over_replica_counts() -> None:
    prompt_error = observe(3, deployment(3, 3), prompt_error="systemPromptRef: ConfigMap 'p' not found")
    assert ready(compute_status(None, prompt_error, T0)) == (
        "False",
        "PromptResolutionError",
        "systemPromptRef: ConfigMap 'p' not found",
    )
    failed = observe(3, deployment(3, 3), reconcile_error="applying Deployment x-agent: 422 Invalid")
    assert ready(compute_status(None, failed, T0))[1:] == (
        "ReconcileError",
        "applying Deployment x-agent: 422 Invalid",
    )


def test_budget_exceeded_condition_and_usage_fields() -> None:
    budget = evaluate([(NOW_MS - WINDOW_MS + 30 * 60_000, 900), (NOW_MS - 1000, 200)], 1000, NOW_MS)
    status = compute_status(None, observe(0, deployment(0, 0), budget=budget), T0)
    assert ready(status) == (
        "False",
        "BudgetExceeded",
        "daily token budget used up; scaled to 0 replicas until 2025-01-02T03:34:05Z",
    )
    (exceeded,) = [c for c in status["conditions"] if c["type"] == "BudgetExceeded"]
    assert (exceeded["status"], exceeded["reason"]) == ("True", "DailyLimitReached")
    assert exceeded["message"] == (
        "1100 of 1000 tokens used in the last 24 h; replicas scaled to 0 until 2025-01-02T03:34:05Z, "
        "when enough usage has left the window"
    )
    assert status["dailyTokensUsed"] == 1100
    assert status["dailyTokenUsage"] == {"inputTokens": 0, "outputTokens": 0, "totalTokens": 1100}
    assert status["budgetResetsInMinutes"] == 30


def test_budget_condition_is_removed_once_under_the_limit() -> None:
    exceeded = evaluate([(NOW_MS - 1000, 2000)], 1000, NOW_MS)
    before = compute_status(None, observe(0, deployment(0, 0), budget=exceeded), T0)
    fine = evaluate([(NOW_MS - 1000, 10)], 1000, NOW_MS)
    after = compute_status(before, observe(3, deployment(3, 3), budget=fine), T1)
    assert [c["type"] for c in after["conditions"]] == ["Ready"]
    assert after["dailyTokensUsed"] == 10
    assert condition_changed(before, after, "BudgetExceeded")


def test_no_budget_fields_without_a_budget() -> None:
    status = compute_status(None, observe(1, deployment(1, 1)), T0)
    assert not {"dailyTokenUsage", "dailyTokensUsed", "budgetResetsInMinutes"} & set(status)


def test_last_transition_time_moves_only_when_the_status_flips() -> None:
    first = compute_status(None, observe(3, deployment(1, 3)), T0)
    second = compute_status(first, observe(3, deployment(2, 3)), T1)
    assert second["conditions"][0]["lastTransitionTime"] == "2025-01-02T03:04:05Z"
    assert second["conditions"][0]["message"] == "2/3 replicas ready"
    third = compute_status(second, observe(3, deployment(3, 3)), T1)
    assert third["conditions"][0]["lastTransitionTime"] == "2025-01-02T03:09:05Z"


def test_unchanged_observation_gives_an_equal_status_so_nothing_is_written() -> None:
    first = compute_status(None, observe(3, deployment(3, 3)), T0)
    stored = {**first, "someoneElses": "field"}
    again = compute_status(stored, observe(3, deployment(3, 3)), T1)
    assert again == owned_status(stored)
    assert not condition_changed(stored, again, "Ready")
    assert compute_status(stored, observe(3, deployment(2, 3)), T1) != owned_status(stored)


def test_conditions_of_the_current_status_are_not_mutated() -> None:
    current = compute_status(None, observe(3, deployment(1, 3)), T0)
    snapshot = [dict(c) for c in current["conditions"]]
    compute_status(current, observe(3, deployment(3, 3)), T1)
    assert current["conditions"] == snapshot
