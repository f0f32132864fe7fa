"""A real Prometheus scrapes ``ark-operator`` and two ``ark-runtime`` processes while a dynamic team
runs: every panel of the shipped Grafana dashboard and every shipped alert returns data, and both
expositions pass ``promtool check metrics``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from localcluster import free_port

from ark.controllers.resources import ARK_RUNS, ARK_TEAMS
from ark.kube.client import KubeClient
from ark.kube.resources import CONFIGMAPS, PODS, SECRETS
from ark_runtime.protocol import tasks_stream
from ark_runtime.queue.connection import connect
from tests.e2e.operator.support import OperatorProcess, agent_processes, pod_env
from tests.integration.controllers.run.support import apply_team, finished, trigger
from tests.integration.controllers.support import ready_agent
from tests.support.prometheus import PrometheusServer, promtool
from tests.support.wait import wait_for, wait_for_sync

pytestmark = [pytest.mark.cluster, pytest.mark.redis]

REPO = Path(__file__).resolve().parents[3]
DASHBOARD = REPO / "manifests" / "grafana" / "ark-dashboard.json"
RULES = REPO / "manifests" / "prometheus" / "ark-rules.yaml"
AGENTS = ("desk-triage", "desk-tech")
TEAM = """
metadata: {name: desk}
spec:
  entry: triage
  timeoutSeconds: 120
  limits: {maxDailyTokens: 1000000}
  roles:
    - name: triage
      model: claude-haiku-4-5
      systemPrompt: You triage requests. Delegate technical problems to tech.
      canDelegate: [tech]
    - name: tech
      model: claude-sonnet-4-6
      systemPrompt: You solve technical problems.
"""


def panel_queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """``(panel title, PromQL)`` of every target, with the dashboard's variables at "All" (a 5 m rate
    window, long enough to hold this test's activity)."""
    out = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"].replace("$__rate_interval", "5m").replace('=~"$namespace"', '=~".*"')
            assert "$" not in expr, f"{panel['title']}: a variable the test does not know in {expr}"
            out.append((panel["title"], expr))
    return out


def alert_rules() -> dict[str, str]:
    rules = [r for group in yaml.safe_load(RULES.read_text())["groups"] for r in group["rules"]]
    return {r["alert"]: r["expr"] for r in rules}


async def agent_envs(kube: KubeClient, namespace: str) -> list[dict[str, str]]:
    """The environment of each agent's pod, as its kubelet would build it, on a health port of its own."""
    configmaps = {c["metadata"]["name"]: c for c in (await kube.list(CONFIGMAPS, namespace))["items"]}
    secrets = {s["metadata"]["name"]: s for s in (await kube.list(SECRETS, namespace))["items"]}
    envs = []
    for agent in AGENTS:
        pods = (await kube.list(PODS, namespace, label_selector=f"arkonis.dev/deployment={agent}"))["items"]
        env = pod_env(pods[0], configmaps, secrets)
        assert env["AGENT_PROVIDER"] == "mock"
        env["AGENT_HEALTH_PORT"] = str(free_port())
        envs.append(env)
    return envs


def check_metrics(url: str) -> None:
    exposition = httpx.get(f"{url}/metrics", timeout=5).text
    checked = promtool("check", "metrics", stdin=exposition)
    assert checked.returncode == 0, f"{url}: {checked.stdout}{checked.stderr}"


async def test_prometheus_scrapes_the_operator_and_agents_and_every_panel_and_alert_has_data(
    start_operator: Any, kube: KubeClient, namespace: str, redis_url: str, tmp_path: Path
) -> None:
    operator: OperatorProcess = start_operator("--agent-env=AGENT_PROVIDER=mock")
    wait_for_sync(operator.ready, timeout=60, message="operator /readyz")
    await apply_team(kube, namespace, TEAM)
    for agent in AGENTS:
        await wait_for(
            lambda a=agent: ready_agent(kube, namespace, a, 1), timeout=90, message=f"{agent} ready"
        )
    envs = await agent_envs(kube, namespace)
    targets = {
        "ark-operator": [f"127.0.0.1:{operator.metrics_port}"],
        "ark-agents": [f"127.0.0.1:{env['AGENT_HEALTH_PORT']}" for env in envs],
    }
    prometheus = PrometheusServer(tmp_path, targets, rules=[RULES])
    redis = connect(redis_url)
    try:
        wait_for_sync(prometheus.ready, timeout=60, message="prometheus /-/ready")
        with agent_processes(*envs) as agents:
            for proc in agents:
                wait_for_sync(proc.ready, timeout=60, message="agent /readyz")
            await wait_for(prometheus.targets_up, timeout=60, message="all three targets up")

            # Two runs: the first creates the series, the second moves them inside the rate windows.
            first = await trigger(kube, namespace, "desk", task="The app crashes on start.")
            assert (await finished(kube, namespace, first))["phase"] == "Succeeded"
            await wait_for(
                lambda: prometheus.values('ark_run_duration_seconds_count{team="desk"}'),
                timeout=60,
                message="the first run's duration in Prometheus",
            )
            await wait_for(
                lambda: prometheus.values('ark_agent_tool_calls_total{tool="delegate"}'),
                timeout=60,
                message="the delegation in Prometheus",
            )
            second = await trigger(kube, namespace, "desk", task="The app is slow.")
            assert (await finished(kube, namespace, second))["phase"] == "Succeeded"

            # A run that fails (its team does not exist), a dead letter, a used-up budget.
            await kube.create(
                ARK_RUNS,
                {
                    "apiVersion": "arkonis.dev/v1alpha1",
                    "kind": "ArkRun",
                    "metadata": {"name": "orphan", "namespace": namespace},
                    "spec": {"teamRef": {"name": "no-such-team"}},
                },
            )
            await wait_for(
                lambda: prometheus.values('ark_dead_letters{agent="desk-tech"} == 0'),
                timeout=60,
                message="no dead letters yet, as Prometheus saw it",
            )
            await redis.xadd(tasks_stream(namespace, "desk-tech"), {"not": "a task"})
            await kube.patch(ARK_TEAMS, "desk", {"spec": {"limits": {"maxDailyTokens": 1}}}, namespace)

            dashboard = json.loads(DASHBOARD.read_text())
            for title, expr in panel_queries(dashboard):
                await wait_for(
                    lambda e=expr: prometheus.values(e), timeout=90, message=f"panel {title!r}: {expr}"
                )
            rules = alert_rules()
            for alert, expr in rules.items():
                if alert != "ArkNoLeader":
                    await wait_for(
                        lambda e=expr: prometheus.values(e), timeout=90, message=f"alert {alert}: {expr}"
                    )
            assert await prometheus.values('ark_agent_tasks_total{result="malformed"}') == [1.0]
            assert await prometheus.values('ark_tokens_total{agent="desk-tech",model="claude-sonnet-4-6"}')

            check_metrics(operator.url)
            for proc in agents:
                check_metrics(proc.health_url)

            # The operator stops: no one leads, and the alert's expression says so.
            assert not await prometheus.query(rules["ArkNoLeader"])
            assert operator.terminate() == 0
            await wait_for(lambda: prometheus.values(rules["ArkNoLeader"]), timeout=60, message="ArkNoLeader")
    finally:
        await redis.aclose()
        prometheus.terminate()
        prometheus.close()
