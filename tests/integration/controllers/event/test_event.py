"""ArkEvents as a user drives them: a cron schedule fires at its minute, a team finishing fires
the next team once, Forbid skips while a run is going, webhook events get a token Secret, and
bad schedules and missing teams are named."""

from __future__ import annotations

import base64
import datetime
import re
import time
from typing import Any

import pytest

from ark.controllers.event.controller import token_secret_name
from ark.controllers.event.names import fire_run_name
from ark.controllers.resources import ARK_RUNS
from ark.kube.client import KubeClient, NotFound
from ark.kube.resources import SECRETS
from tests.integration.controllers.conftest import Cluster, Start
from tests.integration.controllers.event.support import (
    apply_event,
    event_reasons,
    event_status,
    fired,
    get_run,
    with_reason,
)
from tests.integration.controllers.run.support import apply_team, finished, trigger
from tests.integration.controllers.support import condition
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.redis]

Obj = dict[str, Any]

SOURCE = """
metadata: {name: source}
spec:
  entry: write
  roles: [{name: write, model: mock, systemPrompt: p}]
"""
SINK = """
metadata: {name: sink}
spec:
  inputs: [{name: summary, required: true}]
  entry: read
  roles: [{name: read, model: mock, systemPrompt: p}]
"""


async def succeed_source_run(cluster: Cluster, output: str) -> str:
    """Run team ``source`` to Succeeded with ``output``, the agent's part played by the test."""
    name = await trigger(cluster.kube, cluster.namespace, "source", task="report")
    uid = (await cluster.kube.get(ARK_RUNS, name, cluster.namespace))["metadata"]["uid"]
    await cluster.pods.answer(await cluster.pods.task("source-write", "write", run=uid), output)
    status = await finished(cluster.kube, cluster.namespace, name)
    assert status["phase"] == "Succeeded"
    return name


async def test_a_cron_event_fires_within_a_second_of_its_minute(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator()
    kube = cluster.kube
    await apply_team(kube, namespace, SINK)
    event = await apply_event(
        kube,
        namespace,
        """
metadata: {name: minutely}
spec:
  source: {type: cron, cron: "* * * * *"}
  targets: [{team: sink, input: {summary: "fired at {{ .trigger.firedAt }} by {{ .trigger.name }}"}}]
""",
    )
    # The first minute after the event was created (a time equal to its creation counts as fired).
    created = datetime.datetime.fromisoformat(event["metadata"]["creationTimestamp"])
    minute = created.replace(second=0) + datetime.timedelta(minutes=1)
    expected = fire_run_name("minutely", minute.strftime("%Y-%m-%dT%H:%M:%SZ"), 0)
    active = await wait_for(
        lambda: _ready_with_next(kube, namespace, "minutely"), timeout=30, message="Ready/Active"
    )
    assert active["nextFireAt"] == minute.strftime("%Y-%m-%dT%H:%M:%SZ")
    run = await wait_for(
        lambda: get_run(kube, namespace, expected), timeout=75, interval=0.02, message="the cron fire"
    )
    lag = time.time() - minute.timestamp()
    assert 0 <= lag < 1.0, f"fired {lag:.3f}s after the minute"
    assert run["spec"]["trigger"] == {"type": "cron", "source": "minutely"}
    assert run["spec"]["input"]["summary"] == f"fired at {minute.strftime('%Y-%m-%dT%H:%M:%SZ')} by minutely"
    assert run["metadata"]["labels"]["arkonis.dev/trigger"] == "cron"
    owner = run["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"]) == ("ArkEvent", "minutely")
    status = await wait_for(
        lambda: fired(kube, namespace, "minutely", 1), timeout=10, message="status after the fire"
    )
    assert status["lastFiredAt"] == minute.strftime("%Y-%m-%dT%H:%M:%SZ")
    next_minute = minute + datetime.timedelta(minutes=1)
    assert status["nextFireAt"] == next_minute.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert condition({"status": status}, "Fired")["reason"] == "RunsCreated"


async def _ready_with_next(kube: KubeClient, namespace: str, name: str) -> Obj | None:
    status = await event_status(kube, namespace, name)
    ready = condition({"status": status}, "Ready")
    return status if ready.get("reason") == "Active" and status.get("nextFireAt") else None


async def test_an_invalid_schedule_names_the_field(start_operator: Start, namespace: str) -> None:
    cluster = await start_operator()
    await apply_event(
        cluster.kube,
        namespace,
        """
metadata: {name: never}
spec:
  source: {type: cron, cron: "61 * * * *"}
  targets: [{team: sink}]
""",
    )

    async def invalid() -> Obj | None:
        ready = condition({"status": await event_status(cluster.kube, namespace, "never")}, "Ready")
        return ready if ready.get("reason") == "InvalidCron" else None

    ready = await wait_for(invalid, timeout=30, message="InvalidCron")
    assert ready["status"] == "False"
    assert ready["message"].startswith("spec.source.cron: '61 * * * *' is not a schedule")
    reasons = await wait_for(
        lambda: event_reasons(cluster.kube, namespace, "never"), timeout=10, message="the Event"
    )
    assert "InvalidCron" in reasons


async def test_a_webhook_event_gets_an_owned_token_secret_and_its_url(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator("--trigger-webhook-url=http://ark.example:8092/")
    kube = cluster.kube
    event = await apply_event(
        kube,
        namespace,
        """
metadata: {name: deploys}
spec:
  source: {type: webhook}
  targets: [{team: sink}]
""",
    )

    async def token() -> Obj | None:
        try:
            return await kube.get(SECRETS, token_secret_name("deploys"), namespace)
        except NotFound:
            return None

    secret = await wait_for(token, timeout=30, message="the token Secret")
    value = base64.b64decode(secret["data"]["token"]).decode()
    assert re.fullmatch(r"[0-9a-f]{64}", value)
    owner = secret["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["uid"]) == ("ArkEvent", "deploys", event["metadata"]["uid"])

    async def ready() -> Obj | None:
        status = await event_status(kube, namespace, "deploys")
        return status if condition({"status": status}, "Ready").get("reason") == "WebhookReady" else None

    status = await wait_for(ready, timeout=30, message="WebhookReady")
    assert status["webhookURL"] == f"http://ark.example:8092/triggers/{namespace}/deploys/fire"
    reasons = await event_reasons(kube, namespace, "deploys")
    assert value not in str(reasons)  # the token is never in an Event
    assert value not in str(status)

    # A deleted token is made again (a new one).
    await kube.delete(SECRETS, token_secret_name("deploys"), namespace)
    again = await wait_for(
        lambda: _other_token(kube, namespace, secret["metadata"]["uid"]), timeout=30, message="a new token"
    )
    assert again["data"]["token"] != secret["data"]["token"]


async def _other_token(kube: KubeClient, namespace: str, uid: str) -> Obj | None:
    try:
        secret = await kube.get(SECRETS, token_secret_name("deploys"), namespace)
    except NotFound:
        return None
    return secret if secret["metadata"]["uid"] != uid else None


TEAM_OUTPUT = """
metadata: {name: relay}
spec:
  source: {type: team-output, teamOutput: {name: source}}
  concurrencyPolicy: Forbid
  targets:
    - {team: ghost}
    - {team: sink, input: {summary: "got {{ .trigger.output }}"}}
"""


async def test_a_team_output_event_fires_once_per_run_skips_under_forbid_and_names_a_missing_team(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator()
    kube = cluster.kube
    await apply_team(kube, namespace, SOURCE)
    await apply_team(kube, namespace, SINK)
    await apply_event(kube, namespace, TEAM_OUTPUT)
    first = await succeed_source_run(cluster, "report one")

    downstream = fire_run_name("relay", first, 1)
    run = await wait_for(lambda: get_run(kube, namespace, downstream), timeout=30, message="the fire")
    assert run["spec"]["input"] == {"summary": "got report one"}
    assert run["spec"]["trigger"] == {"type": "team-output", "source": "relay"}
    assert run["metadata"]["labels"]["arkonis.dev/trigger"] == "team-output"
    status = await wait_for(lambda: fired(kube, namespace, "relay", 1), timeout=10, message="firedCount 1")
    fire_condition = condition({"status": status}, "Fired")
    assert (fire_condition["status"], fire_condition["reason"]) == ("False", "TargetFailed")
    assert fire_condition["message"] == 'targets[0]: ArkTeam "ghost" does not exist'
    assert condition({"status": status}, "Ready")["reason"] == "Watching"
    reasons = await wait_for(
        lambda: with_reason(kube, namespace, "relay", "FireFailed"), timeout=10, message="FireFailed"
    )
    assert reasons["FireFailed"] == 'targets[0]: ArkTeam "ghost" does not exist'

    # The downstream run waits for its agent, so the next upstream success is skipped.
    second = await succeed_source_run(cluster, "report two")
    reasons = await wait_for(
        lambda: with_reason(kube, namespace, "relay", "FireSkipped"), timeout=30, message="FireSkipped"
    )
    assert downstream in reasons["FireSkipped"]
    assert await get_run(kube, namespace, fire_run_name("relay", second, 1)) is None
    runs = await kube.list(ARK_RUNS, namespace, label_selector="arkonis.dev/trigger=team-output")
    assert [r["metadata"]["name"] for r in runs["items"]] == [downstream]  # once, not once per reconcile
    assert (await event_status(kube, namespace, "relay"))["firedCount"] == 1


async def test_a_suspended_cron_event_does_not_schedule(start_operator: Start, namespace: str) -> None:
    cluster = await start_operator()
    await apply_event(
        cluster.kube,
        namespace,
        """
metadata: {name: paused}
spec:
  source: {type: cron, cron: "@hourly"}
  suspended: true
  targets: [{team: sink}]
""",
    )

    async def suspended() -> Obj | None:
        status = await event_status(cluster.kube, namespace, "paused")
        return status if condition({"status": status}, "Ready").get("reason") == "Suspended" else None

    status = await wait_for(suspended, timeout=30, message="Suspended")
    assert condition({"status": status}, "Ready")["status"] == "False"
    assert "nextFireAt" not in status


async def test_an_upstream_failure_fires_only_on_phase_failed_and_a_missing_watched_team_is_named(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator()
    kube = cluster.kube
    await apply_team(kube, namespace, SINK)
    for name, phase in (("on-failure", "Failed"), ("on-success", "Succeeded")):
        await apply_event(
            kube,
            namespace,
            f"""
metadata: {{name: {name}}}
spec:
  source: {{type: team-output, teamOutput: {{name: source, onPhase: {phase}}}}}
  targets: [{{team: sink, input: {{summary: "upstream {phase}"}}}}]
""",
        )

    async def not_found() -> Obj | None:
        ready = condition({"status": await event_status(kube, namespace, "on-failure")}, "Ready")
        return ready if ready.get("reason") == "PipelineNotFound" else None

    ready = await wait_for(not_found, timeout=30, message="PipelineNotFound")
    assert ready["message"] == 'spec.source.teamOutput.name: ArkTeam "source" does not exist'

    await apply_team(kube, namespace, SOURCE)  # the team appearing is noticed: no edit of the event
    name = await trigger(kube, namespace, "source", task="report")
    uid = (await kube.get(ARK_RUNS, name, namespace))["metadata"]["uid"]
    await cluster.pods.answer(await cluster.pods.task("source-write", "write", run=uid), error="boom")
    assert (await finished(kube, namespace, name))["phase"] == "Failed"

    run = await wait_for(
        lambda: get_run(kube, namespace, fire_run_name("on-failure", name, 0)), timeout=30, message="the fire"
    )
    assert run["spec"]["input"] == {"summary": "upstream Failed"}
    status = await wait_for(lambda: fired(kube, namespace, "on-failure", 1), timeout=10, message="counted")
    assert condition({"status": status}, "Ready")["reason"] == "Watching"
    watching = condition({"status": await event_status(kube, namespace, "on-success")}, "Ready")
    assert watching["reason"] == "Watching"
    assert await get_run(kube, namespace, fire_run_name("on-success", name, 0)) is None
    assert "firedCount" not in await event_status(kube, namespace, "on-success")


async def test_a_restarted_operator_neither_repeats_nor_drops_a_team_output_fire(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator()
    kube = cluster.kube
    await apply_team(kube, namespace, SOURCE)
    await apply_team(kube, namespace, SINK)
    await apply_event(
        kube,
        namespace,
        """
metadata: {name: chain}
spec:
  source: {type: team-output, teamOutput: {name: source}}
  targets: [{team: sink, input: {summary: "{{ .trigger.output }}"}}]
""",
    )
    first = await succeed_source_run(cluster, "one")
    await wait_for(lambda: fired(kube, namespace, "chain", 1), timeout=30, message="the first fire")
    await cluster.stop()

    cluster = await start_operator()
    second = await succeed_source_run(cluster, "two")
    await wait_for(lambda: fired(kube, namespace, "chain", 2), timeout=30, message="the second fire")
    runs = await kube.list(ARK_RUNS, namespace, label_selector="arkonis.dev/trigger=team-output")
    by_name = {r["metadata"]["name"]: r["spec"]["input"]["summary"] for r in runs["items"]}
    assert by_name == {fire_run_name("chain", first, 0): "one", fire_run_name("chain", second, 0): "two"}
    # lastFiredAt is the upstream run's completion, to the second.
    completed = (await kube.get(ARK_RUNS, second, namespace))["status"]["completionTime"]
    assert (await event_status(kube, namespace, "chain"))["lastFiredAt"] == completed[:19] + "Z"
