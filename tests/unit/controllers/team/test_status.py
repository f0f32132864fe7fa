"""A team's phase and conditions from what the controller saw (decision §18 #9)."""

from __future__ import annotations

import datetime

from ark.controllers.budget import evaluate
from ark.controllers.team.status import RoleReadiness, TeamObservation, budget_exceeded, compute_status

NOW = datetime.datetime(2026, 12, 2, 12, 0, tzinfo=datetime.UTC)
LATER = NOW + datetime.timedelta(minutes=5)


def _obs(*ready: int, **extra: object) -> TeamObservation:
    roles = [RoleReadiness(f"r{i}", f"t-r{i}", n, 2) for i, n in enumerate(ready)]
    return TeamObservation(3, "Pipeline", roles=roles, **extra)  # type: ignore[arg-type]


def _ready(status: dict[str, object]) -> tuple[object, ...]:
    (ready,) = [c for c in status["conditions"] if c["type"] == "Ready"]  # type: ignore[attr-defined]
    return ready["status"], ready["reason"], ready["message"]


def test_pending_until_every_role_has_a_ready_replica_then_ready() -> None:
    pending = compute_status(None, _obs(1, 0), NOW)
    assert pending["phase"] == "Pending"
    assert _ready(pending) == ("False", "RolesNotReady", "waiting for ready replicas: r1 0/2")
    ready = compute_status(pending, _obs(1, 2), LATER)
    assert ready["phase"] == "Ready"
    assert _ready(ready) == ("True", "RolesReady", "all 2 roles have ready replicas")
    assert ready["roles"] == [
        {"name": "r0", "agent": "t-r0", "readyReplicas": 1, "replicas": 2},
        {"name": "r1", "agent": "t-r1", "readyReplicas": 2, "replicas": 2},
    ]
    assert (ready["mode"], ready["observedGeneration"]) == ("Pipeline", 3)


def test_a_ready_team_that_loses_a_role_is_degraded_until_it_comes_back() -> None:
    ready = compute_status(None, _obs(1, 1), NOW)
    degraded = compute_status(ready, _obs(0, 1), LATER)
    assert degraded["phase"] == "Degraded"
    assert _ready(degraded) == ("False", "RoleUnavailable", "no ready replica: r0 0/2")
    assert compute_status(degraded, _obs(1, 1), LATER)["phase"] == "Ready"


def test_missing_references_are_named_and_keep_the_team_pending() -> None:
    status = compute_status(
        None, _obs(1, missing=['ArkAgent "b" (role x) does not exist', "ArkRegistry r"]), NOW
    )
    assert status["phase"] == "Pending"
    assert _ready(status) == (
        "False",
        "MissingReference",
        'ArkAgent "b" (role x) does not exist; ArkRegistry r',
    )


def test_an_invalid_spec_says_why() -> None:
    status = compute_status(None, TeamObservation(1, None, invalid="invalid spec: spec.roles: bad"), NOW)
    assert (status["phase"], _ready(status)[1:]) == (
        "Pending",
        ("InvalidSpec", "invalid spec: spec.roles: bad"),
    )
    assert "mode" not in status


def test_a_used_up_budget_sets_budget_exceeded_until_the_window_frees() -> None:
    now_ms = int(NOW.timestamp() * 1000)
    spent = evaluate([(now_ms - 1000, 600)], 500, now_ms)
    status = compute_status(None, _obs(0, 0, budget=spent), NOW)
    assert _ready(status)[:2] == ("False", "BudgetExceeded")
    assert budget_exceeded(status)
    freed = compute_status(status, _obs(1, 1, budget=evaluate([], 500, now_ms)), LATER)
    assert not budget_exceeded(freed)
    assert [c["type"] for c in freed["conditions"]] == ["Ready"]


def test_the_last_run_is_reported() -> None:
    status = compute_status(None, _obs(1, last_run=("t-abcde", "Running")), NOW)
    assert (status["lastRunName"], status["lastRunPhase"]) == ("t-abcde", "Running")
    assert "lastRunPhase" not in compute_status(None, _obs(1, last_run=("t-x", None)), NOW)
