"""An ArkService's status: ready pods, its Service and endpoint, and why it is (not) Ready."""

from __future__ import annotations

from typing import Any

from ark.controllers.service.status import Observed, service_status


def ready(status: dict[str, Any]) -> tuple[str, str, str]:
    (condition,) = status["conditions"]
    return condition["status"], condition["reason"], condition["message"]


def test_serving_names_the_endpoint() -> None:
    seen = Observed(
        3, agent="researcher", ready=2, service_name="research", endpoint="http://r.ns.svc:80/v1/tasks"
    )
    status = service_status({}, seen)
    assert status["readyReplicas"] == 2
    assert status["serviceName"] == "research"
    assert status["observedGeneration"] == 3
    value, reason, message = ready(status)
    assert (value, reason) == ("True", "Serving")
    assert (
        message
        == "2 ready pods of ArkAgent researcher (round-robin); tasks: POST http://r.ns.svc:80/v1/tasks"
    )


def test_why_not_ready() -> None:
    assert ready(service_status({}, Observed(1, agent="a", ready=0)))[:2] == ("False", "NoReadyReplicas")
    missing = ready(service_status({}, Observed(1, agent="a", agent_found=False)))
    assert missing == ("False", "AgentNotFound", 'spec.selector.arkAgent: ArkAgent "a" does not exist')
    taken = ready(service_status({}, Observed(1, agent="a", ready=1, team_named_alike=True)))
    assert taken[:2] == ("False", "TeamNameTaken")
    invalid = ready(service_status({}, Observed(1, invalid="spec.selector: Field required")))
    assert invalid == ("False", "InvalidSpec", "spec.selector: Field required")


def test_an_unchanged_condition_keeps_its_transition_time() -> None:
    first = service_status({}, Observed(1, agent="a", ready=1))
    again = service_status(first, Observed(1, agent="a", ready=1))
    assert again == first
