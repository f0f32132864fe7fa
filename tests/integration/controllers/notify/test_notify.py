"""ArkNotify as a user sees it: Slack-style and webhook receivers on loopback get one message per
run event with the rendered template, also after an operator restart; a receiver answering 500
twice gets the message once; a receiver that refuses is named in the status without its URL; the
rate limit drops the excess, counts it, and keeps its window across a restart."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from ark.controllers.budget import team_budget_key
from ark.controllers.notify.controller import ARK_NOTIFIES
from ark.controllers.resources import ARK_AGENTS, ARK_RUNS, ARK_TEAMS
from ark.kube.client import KubeClient
from ark.kube.resources import EVENTS, SECRETS, Resource
from ark_runtime.queue.budget import budget_key
from tests.integration.controllers.conftest import Cluster, Start
from tests.integration.controllers.run.support import apply_team, finished, trigger
from tests.integration.controllers.support import agent, condition, create_all, secret
from tests.support.receiver import Receiver
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.redis]

Obj = dict[str, Any]
TOKEN = "hook-token-3f9a"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def team(name: str, notify: str, extra: str = "") -> str:
    return f"""
metadata: {{name: {name}}}
spec:
  entry: write
  notifyRef: {{name: {notify}}}
  roles: [{{name: write, model: mock, systemPrompt: p}}]
{extra}
"""


async def apply_notify(kube: KubeClient, namespace: str, text: str) -> Obj:
    notify = yaml.safe_load(text)
    notify.update(apiVersion="arkonis.dev/v1alpha1", kind="ArkNotify")
    notify["metadata"]["namespace"] = namespace
    return await kube.create(ARK_NOTIFIES, notify)


async def notify_status(kube: KubeClient, namespace: str, name: str) -> Obj:
    return dict((await kube.get(ARK_NOTIFIES, name, namespace)).get("status") or {})


async def run_team(cluster: Cluster, team_name: str, *, output: str = "done", error: str = "") -> str:
    """Trigger ``team_name`` and play its agent: answer with ``output`` or fail with ``error``."""
    name = await trigger(cluster.kube, cluster.namespace, team_name, task="go")
    uid = (await cluster.kube.get(ARK_RUNS, name, cluster.namespace))["metadata"]["uid"]
    task = await cluster.pods.task(f"{team_name}-write", "write", run=uid)
    await cluster.pods.answer(task, output, error=error)
    await finished(cluster.kube, cluster.namespace, name)
    return name


async def counted(kube: KubeClient, namespace: str, name: str, field: str, value: int) -> Obj | None:
    status = await notify_status(kube, namespace, name)
    return status if status.get(field) == value else None


async def test_each_run_event_reaches_slack_and_webhook_once_with_the_rendered_template(
    start_operator: Start, namespace: str, kube: KubeClient, receiver: Receiver
) -> None:
    await kube.create(SECRETS, secret("slack-url", namespace, {"url": receiver.url("/slack")}))
    await kube.create(
        SECRETS, secret("hook", namespace, {"url": receiver.url("/hook"), "token": f"Bearer {TOKEN}"})
    )
    await apply_notify(
        kube,
        namespace,
        """
metadata: {name: ops}
spec:
  channel: {type: slack, slack: {webhookUrlSecretRef: {name: slack-url, key: url}}}
  events:
  - type: TeamSucceeded
    template: "*{{ .team.name }}* run {{ .run.name }} ({{ .run.spec.input.task }})
      said {{ .run.status.output }}"
  - type: TeamFailed
    template: "{{ .run.name }} failed at {{ .run.status.failedStep }}"
  - type: TeamTimedOut
    template: "{{ .team.name }} timed out after {{ .team.spec.timeoutSeconds }}s"
""",
    )
    await apply_notify(
        kube,
        namespace,
        """
metadata: {name: hooks}
spec:
  on: [TeamSucceeded]
  rateLimitSeconds: 0
  channels:
  - type: webhook
    webhook:
      urlFrom: {name: hook, key: url}
      headers: [{name: Authorization, valueFrom: {name: hook, key: token}}]
      template: '{"event": "{{ .Event }}", "team": "{{ .TeamName }}", "run": "{{ .RunName }}"}'
""",
    )
    await apply_team(kube, namespace, team("blog", "ops"))
    await apply_team(kube, namespace, team("slow", "ops", "  timeoutSeconds: 1"))
    await apply_team(kube, namespace, team("feed", "hooks"))
    cluster = await start_operator()

    ok = await run_team(cluster, "blog", output="shipped")
    failed = await run_team(cluster, "blog", error="model down")
    fed = await run_team(cluster, "feed")
    slow = await trigger(kube, namespace, "slow", task="go")
    assert (await finished(kube, namespace, slow))["phase"] == "Failed"

    await wait_for(lambda: counted(kube, namespace, "ops", "sentCount", 3), timeout=30, message="3 sent")
    await wait_for(lambda: counted(kube, namespace, "hooks", "sentCount", 1), timeout=30, message="1 sent")
    texts = sorted(r.json()["text"] for r in receiver.requests("/slack"))
    assert texts == sorted(
        [f"*blog* run {ok} (go) said shipped", f"{failed} failed at write", "slow timed out after 1s"]
    )
    [hook] = receiver.requests("/hook")
    assert hook.json() == {"event": "TeamSucceeded", "team": "feed", "run": fed}
    assert hook.headers["authorization"] == f"Bearer {TOKEN}"
    assert hook.headers["content-type"] == "application/json"
    status = await notify_status(kube, namespace, "ops")
    assert condition({"status": status}, "Ready")["reason"] == "Active"
    assert condition({"status": status}, "Delivered")["reason"] == "Sent"

    # More reconciles (a spec change, a notifyRef taken away and put back) and an operator
    # restart send nothing again; a new run after the restart is sent once.
    notify = await kube.get(ARK_NOTIFIES, "ops", namespace)
    notify["spec"]["events"].append({"type": "BudgetExceeded"})
    await kube.replace(ARK_NOTIFIES, notify)
    await wait_for(
        lambda: _observed(kube, namespace, "ops", notify["metadata"]["generation"] + 1),
        timeout=30,
        message="the spec change reconciled",
    )
    for ref, teams in ((None, 1), ({"name": "ops"}, 2)):
        await kube.patch(ARK_TEAMS, "blog", {"spec": {"notifyRef": ref}}, namespace)
        await wait_for(
            lambda n=teams: _referred_by(kube, namespace, "ops", n), timeout=30, message=f"{teams} teams"
        )
    await cluster.stop()
    cluster = await start_operator()
    again = await run_team(cluster, "blog", output="again")
    await wait_for(lambda: counted(kube, namespace, "ops", "sentCount", 4), timeout=30, message="4 sent")
    texts = [r.json()["text"] for r in receiver.requests("/slack")]
    assert len(texts) == 4
    assert texts[-1] == f"*blog* run {again} (go) said again"
    assert len(receiver.requests("/hook")) == 1


async def _referred_by(kube: KubeClient, namespace: str, name: str, teams: int) -> bool:
    ready = condition({"status": await notify_status(kube, namespace, name)}, "Ready")
    return f"referred to by {teams} ArkTeams" in str(ready.get("message"))


async def _observed(kube: KubeClient, namespace: str, name: str, generation: int) -> bool:
    return (await notify_status(kube, namespace, name)).get("observedGeneration") == generation


async def test_a_flaky_receiver_gets_the_message_once_a_refusing_one_is_named_a_hanging_one_blocks_nothing(
    start_operator: Start, namespace: str, kube: KubeClient, receiver: Receiver
) -> None:
    receiver.script("/flaky", 500, 500)
    receiver.always("/gone", 404)
    release = receiver.hold("/hung")
    urls = {
        "flaky": receiver.url("/flaky"),
        "gone": receiver.url("/gone?token=abc123"),
        "hung": receiver.url("/hung"),
    }
    await kube.create(SECRETS, secret("urls", namespace, urls))
    for name in urls:
        await apply_notify(
            kube,
            namespace,
            f"""
metadata: {{name: {name}}}
spec:
  channel: {{type: webhook, webhook: {{urlFrom: {{name: urls, key: {name}}}}}}}
  events: [{{type: TeamSucceeded, template: "{{{{ .run.name }}}} done"}}]
""",
        )
        await apply_team(kube, namespace, team(f"{name}-team", name))
    cluster = await start_operator()
    # A receiver that does not answer holds neither the runs nor the other policies.
    await run_team(cluster, "hung-team")
    await wait_for(lambda: receiver.requests("/hung"), timeout=30, message="the hung POST")
    await run_team(cluster, "hung-team")
    run = await run_team(cluster, "flaky-team")
    await run_team(cluster, "gone-team")

    status = await wait_for(
        lambda: counted(kube, namespace, "flaky", "sentCount", 1), timeout=30, message="sent"
    )
    attempts = receiver.requests("/flaky")
    assert len(attempts) == 3
    assert len({a.headers["x-ark-notification-id"] for a in attempts}) == 1
    assert attempts[-1].json()["message"] == f"{run} done"
    assert attempts[-1].json()["event"] == "TeamSucceeded"
    assert condition({"status": status}, "Delivered")["reason"] == "Sent"

    status = await wait_for(
        lambda: counted(kube, namespace, "gone", "failedCount", 1), timeout=30, message="failed"
    )
    delivered = condition({"status": status}, "Delivered")
    assert delivered["status"] == "False"
    assert delivered["reason"] == "DeliveryFailed"
    assert delivered["message"] == (
        "TeamSucceeded of ArkTeam/gone-team not delivered: spec.channel (webhook): HTTP 404 after 1 attempt"
    )
    assert len(receiver.requests("/gone")) == 1  # a 404 is not retried
    events = await kube.list(EVENTS, namespace, field_selector="involvedObject.name=gone")
    warning = next(e for e in events["items"] if e["reason"] == "DeliveryFailed")
    assert warning["message"] == delivered["message"]
    for text in (str(status), str(events)):
        assert "abc123" not in text
        assert "127.0.0.1" not in text

    # Still held (its first attempt, or a retry after that attempt's read timeout).
    assert (await notify_status(kube, namespace, "hung")).get("sentCount") is None
    release.set()
    await wait_for(lambda: counted(kube, namespace, "hung", "sentCount", 2), timeout=30, message="hung sent")


async def test_the_rate_limit_drops_the_excess_counts_it_and_survives_a_restart(
    start_operator: Start, namespace: str, kube: KubeClient, receiver: Receiver
) -> None:
    await kube.create(SECRETS, secret("slack-url", namespace, {"url": receiver.url("/slack")}))
    await apply_notify(
        kube,
        namespace,
        """
metadata: {name: quiet}
spec:
  channel: {type: slack, slack: {webhookUrlSecretRef: {name: slack-url, key: url}}}
  events: [{type: TeamSucceeded}]
  rateLimiting: {windowSeconds: 3600, maxPerWindow: 2}
""",
    )
    await apply_team(kube, namespace, team("busy", "quiet"))
    cluster = await start_operator()
    for _ in range(4):
        await run_team(cluster, "busy")
    status = await wait_for(
        lambda: counted(kube, namespace, "quiet", "suppressedCount", 2), timeout=30, message="2 suppressed"
    )
    assert status["sentCount"] == 2
    [window] = status["rateLimitWindows"]
    assert (window["subject"], window["event"], window["count"]) == ("ArkTeam/busy", "TeamSucceeded", 2)
    first = receiver.requests("/slack")
    assert len(first) == 2
    assert re.fullmatch(r"ArkRun busy-\w+ of ArkTeam busy Succeeded", first[0].json()["text"])

    await cluster.stop()
    cluster = await start_operator()
    await run_team(cluster, "busy")
    status = await wait_for(
        lambda: counted(kube, namespace, "quiet", "suppressedCount", 3), timeout=30, message="3 suppressed"
    )
    assert status["sentCount"] == 2
    assert len(receiver.requests("/slack")) == 2


async def test_budget_events_wait_for_the_missing_secret_then_arrive_once(
    start_operator: Start, namespace: str, kube: KubeClient, receiver: Receiver
) -> None:
    await apply_notify(
        kube,
        namespace,
        """
metadata: {name: budget}
spec:
  channel: {type: slack, slack: {webhookUrlSecretRef: {name: slack-url, key: url}}}
  events:
  - type: BudgetExceeded
    template: "{{ .agent.name }}: {{ .agent.status.dailyTokensUsed }}
      of {{ .agent.spec.limits.maxDailyTokens }}"
  - type: DailyLimitReached
    template: "{{ .team.name.first }} fails to render: the default message goes instead"
""",
    )
    now_ms = time.time_ns() // 1_000_000
    cluster = await start_operator()
    await cluster.redis.zadd(budget_key(namespace, "thrifty"), {"t.a.1:110": now_ms - 1000})
    await cluster.redis.zadd(team_budget_key(namespace, "frugal"), {"t.b.1:120": now_ms - 1000})
    limits = {"maxDailyTokens": 100}
    await create_all(
        kube,
        agent(
            "thrifty", namespace, model="mock", systemPrompt="x", limits=limits, notifyRef={"name": "budget"}
        ),
    )
    await apply_team(kube, namespace, team("frugal", "budget", "  limits: {maxDailyTokens: 100}"))

    async def missing() -> Obj | None:
        ready = condition({"status": await notify_status(kube, namespace, "budget")}, "Ready")
        return ready if ready.get("reason") == "SecretNotFound" else None

    ready = await wait_for(missing, timeout=30, message="SecretNotFound")
    assert ready["message"] == 'spec.channel.slack.webhookUrlSecretRef: Secret "slack-url" does not exist'
    for name in ("thrifty", "frugal"):
        kind = ARK_AGENTS if name == "thrifty" else ARK_TEAMS
        await wait_for(
            lambda k=kind, n=name: _budget_used_up(kube, k, namespace, n), timeout=30, message=name
        )
    assert receiver.requests("/slack") == []

    await kube.create(SECRETS, secret("slack-url", namespace, {"url": receiver.url("/slack")}))
    await wait_for(lambda: counted(kube, namespace, "budget", "sentCount", 2), timeout=30, message="2 sent")
    texts = sorted(r.json()["text"] for r in receiver.requests("/slack"))
    assert texts[1] == "thrifty: 110 of 100"
    assert texts[0].startswith(
        "ArkTeam frugal reached its daily token limit: 120 of 100 tokens used in the last 24 h"
    )
    events = await kube.list(EVENTS, namespace, field_selector="involvedObject.name=budget")
    failed = next(e for e in events["items"] if e["reason"] == "TemplateError")
    assert failed["message"].startswith("DailyLimitReached template: template: 1:")
    assert (
        condition({"status": await notify_status(kube, namespace, "budget")}, "Ready")["reason"] == "Active"
    )


async def _budget_used_up(kube: KubeClient, resource: Resource, namespace: str, name: str) -> bool:
    obj = await kube.get(resource, name, namespace)
    return condition(obj, "BudgetExceeded").get("status") == "True"
