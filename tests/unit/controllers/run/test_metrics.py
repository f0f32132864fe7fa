"""The run controller's series: runs by team and phase from the cache, tokens by agent and model."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from ark.controllers.run.metrics import RunMetrics


def run(namespace: str, team: str, phase: str | None) -> dict[str, Any]:
    status = {"phase": phase} if phase else {}
    return {
        "metadata": {"namespace": namespace, "name": "r"},
        "spec": {"teamRef": {"name": team}},
        "status": status,
    }


def samples(registry: CollectorRegistry, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    text = generate_latest(registry).decode()
    return {
        tuple(sorted(s.labels.items())): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == name
    }


def test_runs_are_counted_by_team_and_phase_when_scraped() -> None:
    cached = [
        run("a", "desk", "Running"),
        run("a", "desk", "Running"),
        run("a", "desk", None),
        run("b", "ops", "Failed"),
    ]
    registry = CollectorRegistry()
    RunMetrics(registry, lambda: 0, lambda: 0, runs=lambda: cached)
    assert samples(registry, "ark_runs") == {
        (("namespace", "a"), ("phase", "Pending"), ("team", "desk")): 1,
        (("namespace", "a"), ("phase", "Running"), ("team", "desk")): 2,
        (("namespace", "b"), ("phase", "Failed"), ("team", "ops")): 1,
    }
    cached.pop()
    assert (("namespace", "b"), ("phase", "Failed"), ("team", "ops")) not in samples(registry, "ark_runs")


def test_tokens_by_agent_model_and_direction() -> None:
    registry = CollectorRegistry()
    metrics = RunMetrics(registry, lambda: 0, lambda: 0)
    metrics.used("a", "desk-triage", "claude-haiku-4-5", 40, 6)
    metrics.used("a", "desk-triage", "claude-haiku-4-5", 10, 4)
    got = samples(registry, "ark_tokens_total")
    labels = (("agent", "desk-triage"), ("model", "claude-haiku-4-5"), ("namespace", "a"))
    assert got[tuple(sorted((*labels, ("direction", "input"))))] == 50
    assert got[tuple(sorted((*labels, ("direction", "output"))))] == 10
