"""Sync mode answers with the run's end (woken by the run's watch), the limit answers 429 and
never drops a fire silently, and a replica that does not lead serves fires the leader runs."""

from __future__ import annotations

import asyncio
import collections
from typing import Any

import httpx
import pytest

from ark.controllers.resources import ARK_RUNS
from tests.integration.controllers.run.support import apply_team
from tests.integration.webhook.conftest import Serve, Webhook
from tests.integration.webhook.test_fire import NOTE, event_runs
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.redis]

Obj = dict[str, Any]

ASK = """
metadata: {name: ask}
spec:
  source: {type: webhook}
  targets: [{team: note, input: {text: "{{ .trigger.body.question }}"}}]
"""


async def answer_run(web: Webhook, event: str, *, output: str = "", error: str = "") -> str:
    """Play the agent: answer the task of the one run ``event`` created; returns the run's name."""
    runs = await wait_for(lambda: event_runs(web, event), timeout=30, message="the fire's run")
    run = runs[0]
    task = await web.cluster.pods.task("note-write", "write", run=run["metadata"]["uid"])
    assert "what is up?" in task.prompt  # the body reached the input template
    await web.cluster.pods.answer(task, output, error=error)
    return str(run["metadata"]["name"])


async def sync_fire(web: Webhook, token: str, **params: str) -> asyncio.Task[httpx.Response]:
    return asyncio.create_task(
        web.http.post(
            web.path("ask"),
            params={"mode": "sync", **params},
            json={"question": "what is up?"},
            headers={"Authorization": f"Bearer {token}"},
        )
    )


async def test_sync_mode_answers_with_the_output_the_error_or_the_run_to_poll(serve: Serve) -> None:
    web = await serve()
    await apply_team(web.cluster.kube, web.cluster.namespace, NOTE)
    token = await web.event(ASK)

    pending = await sync_fire(web, token)
    name = await answer_run(web, "ask", output="all quiet")
    answer = await pending
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "succeeded"
    assert body["output"] == "all quiet"
    assert body["run"] == name
    assert body["durationMs"] > 0

    # An output too large for the status (kept in ConfigMaps, a preview inline) comes back whole.
    await web.cluster.kube.delete(ARK_RUNS, name, web.cluster.namespace)
    await wait_for(lambda: _no_runs(web), timeout=30, message="the first run gone")
    large = "".join(f"line {i}: all quiet\n" for i in range(3000))
    pending = await sync_fire(web, token)
    name = await answer_run(web, "ask", output=large)
    answer = await pending
    assert answer.status_code == 200, answer.text[:300]
    assert answer.json()["output"] == large
    run = await web.cluster.kube.get(ARK_RUNS, name, web.cluster.namespace)
    assert run["status"]["outputRef"]
    assert run["status"]["output"] != large

    await web.cluster.kube.delete(ARK_RUNS, name, web.cluster.namespace)
    await wait_for(lambda: _no_runs(web), timeout=30, message="the large run gone")
    pending = await sync_fire(web, token)
    name = await answer_run(web, "ask", error="the model refused")
    answer = await pending
    assert answer.status_code == 500, answer.text
    body = answer.json()
    assert body["status"] == "failed"
    assert "the model refused" in body["error"]
    assert body["run"] == name

    await web.cluster.kube.delete(ARK_RUNS, name, web.cluster.namespace)
    await wait_for(lambda: _no_runs(web), timeout=30, message="the second run gone")
    answer = await (await sync_fire(web, token, timeout="500ms"))
    assert answer.status_code == 504, answer.text
    body = answer.json()
    (run,) = await event_runs(web, "ask")
    assert body["run"] == run["metadata"]["name"]
    assert run["metadata"]["name"] in body["error"]
    assert 500 <= body["durationMs"] < 5000


async def _no_runs(web: Webhook) -> bool:
    return not await event_runs(web, "ask")


async def test_sync_mode_needs_exactly_one_target(serve: Serve) -> None:
    web = await serve()
    await apply_team(web.cluster.kube, web.cluster.namespace, NOTE)
    token = await web.event(
        """
metadata: {name: both}
spec:
  source: {type: webhook}
  targets: [{team: note, input: {text: a}}, {team: note, input: {text: b}}]
"""
    )
    answer = await web.http.post(web.path("both"), params={"mode": "sync", "token": token})
    assert answer.status_code == 400
    assert "exactly one target" in answer.json()["error"]
    answer = await web.http.post(web.path("both"), params={"token": token})
    assert answer.status_code == 202
    assert answer.json()["targets"] == 2
    assert len(await event_runs(web, "both")) == 2


async def test_parallel_fires_are_all_answered_runs_or_429_never_dropped(serve: Serve) -> None:
    web = await serve("--trigger-webhook-burst=200", "--trigger-webhook-rate=0.01")
    await apply_team(web.cluster.kube, web.cluster.namespace, NOTE)
    token = await web.event(ASK)
    auth = {"Authorization": f"Bearer {token}"}

    async def fire(index: int) -> httpx.Response:
        return await web.http.post(web.path("ask"), json={"question": f"q{index}"}, headers=auth)

    answers = await asyncio.gather(*(fire(i) for i in range(250)))
    codes = collections.Counter(a.status_code for a in answers)
    assert codes == {202: 200, 429: 50}, codes
    assert all(int(a.headers["retry-after"]) >= 1 for a in answers if a.status_code == 429)
    created = sorted(a.json()["runs"][0] for a in answers if a.status_code == 202)
    runs = await event_runs(web, "ask")
    assert sorted(r["metadata"]["name"] for r in runs) == created
    assert sorted(r["spec"]["input"]["text"] for r in runs) == sorted(
        f"q{i}" for i, a in enumerate(answers) if a.status_code == 202
    )


async def test_a_replica_that_does_not_lead_serves_fires_and_the_leader_runs_them(serve: Serve) -> None:
    first = await serve(leader_elect=True)
    await wait_for(lambda: first.cluster.manager.leading, timeout=30, message="the first replica leading")
    second = await serve(leader_elect=True)
    assert not second.cluster.manager.leading
    await apply_team(second.cluster.kube, second.cluster.namespace, NOTE)
    token = await second.event(ASK)

    pending = await sync_fire(second, token)
    await answer_run(second, "ask", output="from the leader")
    answer = await pending
    assert answer.status_code == 200, answer.text
    assert answer.json()["output"] == "from the leader"
    assert not second.cluster.manager.leading
