"""Fires as a caller sees them over HTTP (httpx): the token, the answers of §6.3, the body cap,
the runs a fire creates, and a slow client cut off without holding the server."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from ark.controllers.resources import ARK_RUNS
from ark.runs.trace_context import TRACEPARENT_ANNOTATION
from ark.webhook.body import MAX_BODY_BYTES
from tests.integration.controllers.run.support import apply_team
from tests.integration.webhook.conftest import Serve, Webhook
from tests.support.spans import Spans

pytestmark = [pytest.mark.cluster, pytest.mark.redis]

Obj = dict[str, Any]

NOTE = """
metadata: {name: note}
spec:
  inputs: [{name: text, required: true}]
  entry: write
  roles: [{name: write, model: mock, systemPrompt: p}]
"""
DEPLOYS = """
metadata: {name: deploys}
spec:
  source: {type: webhook}
  targets: [{team: note, input: {text: "{{ .trigger.name }} saw {{ .trigger.body.service }}"}}]
"""


async def event_runs(web: Webhook, event: str) -> list[Obj]:
    listed = await web.cluster.kube.list(ARK_RUNS, web.cluster.namespace)
    return [
        run
        for run in listed["items"]
        if any(o["name"] == event for o in run["metadata"].get("ownerReferences") or ())
    ]


@pytest.fixture
async def web(serve: Serve) -> Webhook:
    web = await serve("--trigger-webhook-read-timeout=1")
    await apply_team(web.cluster.kube, web.cluster.namespace, NOTE)
    return web


async def test_the_right_token_in_the_header_or_the_query_fires_a_run(web: Webhook) -> None:
    token = await web.event(DEPLOYS)
    answer = await web.http.post(
        web.path("deploys"), json={"service": "billing"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["fired"] is True
    assert body["trigger"] == "deploys"
    assert body["targets"] == 1
    assert body["firedAt"].endswith("Z")
    run = await web.cluster.kube.get(ARK_RUNS, body["runs"][0], web.cluster.namespace)
    assert run["spec"]["trigger"] == {"type": "webhook", "source": "deploys"}
    assert run["spec"]["input"]["text"] == "deploys saw billing"
    assert run["metadata"]["labels"]["arkonis.dev/trigger"] == "webhook"
    assert run["metadata"]["ownerReferences"][0]["name"] == "deploys"

    by_query = await web.http.post(web.path("deploys"), params={"token": token}, json={"service": "auth"})
    assert by_query.status_code == 202, by_query.text
    run = await web.cluster.kube.get(ARK_RUNS, by_query.json()["runs"][0], web.cluster.namespace)
    assert run["spec"]["input"]["text"] == "deploys saw auth"

    # No body, invalid JSON and JSON that is not an object are all ignored: the fire happens.
    for content in (b"", b"{not json", b"[1, 2]", b'"text"'):
        answer = await web.http.post(web.path("deploys"), params={"token": token}, content=content)
        assert answer.status_code == 202, (content, answer.text)
        run = await web.cluster.kube.get(ARK_RUNS, answer.json()["runs"][0], web.cluster.namespace)
        assert run["spec"]["input"]["text"] == "deploys saw "
    assert len(await event_runs(web, "deploys")) == 6


async def test_wrong_missing_empty_and_one_character_off_tokens_are_401(web: Webhook) -> None:
    token = await web.event(DEPLOYS)
    flipped_last = token[:-1] + ("0" if token[-1] != "0" else "1")
    flipped_first = ("0" if token[0] != "0" else "1") + token[1:]
    attempts: list[tuple[dict[str, str], dict[str, str]]] = [
        ({}, {}),
        ({"Authorization": "Bearer"}, {}),  # an empty token
        ({}, {"token": ""}),
        ({"Authorization": "Bearer wrong"}, {}),
        ({"Authorization": f"Bearer {flipped_last}"}, {}),
        ({"Authorization": f"Bearer {flipped_first}"}, {}),
        ({"Authorization": f"Bearer {token[:-1]}"}, {}),  # one character short
        ({"Authorization": f"Bearer {token}0"}, {}),  # one character long
        ({}, {"token": flipped_last}),
        ({"Authorization": f"Basic {token}"}, {}),  # not a Bearer token
        ({"Authorization": "Bearer wrong"}, {"token": token}),  # the header wins over the query
    ]
    for headers, params in attempts:
        answer = await web.http.post(web.path("deploys"), headers=headers, params=params, json={})
        assert answer.status_code == 401, (headers, params, answer.text)
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert token not in answer.text
    assert await event_runs(web, "deploys") == []


async def test_paths_methods_kinds_and_suspension_get_their_status_codes(web: Webhook) -> None:
    token = await web.event(DEPLOYS)
    await web.event(
        """
metadata: {name: nightly}
spec:
  source: {type: cron, cron: "0 3 * * *"}
  targets: [{team: note}]
"""
    )
    paused = await web.event(
        """
metadata: {name: paused}
spec:
  source: {type: webhook}
  suspended: true
  targets: [{team: note, input: {text: x}}]
"""
    )
    auth = {"Authorization": f"Bearer {token}"}
    namespace = web.cluster.namespace
    cases = [
        ("POST", f"/triggers/{namespace}/deploys", auth, 404),
        ("POST", f"/triggers/{namespace}/deploys/fire/now", auth, 404),
        ("POST", "/elsewhere", auth, 404),
        ("POST", f"/triggers/{namespace}/nobody/fire", auth, 404),
        ("POST", "/triggers/not-watched/deploys/fire", auth, 404),
        ("GET", web.path("deploys"), auth, 405),
        ("PUT", web.path("deploys"), auth, 405),
        ("POST", web.path("nightly"), auth, 400),
        ("POST", web.path("paused"), {"Authorization": f"Bearer {paused}"}, 503),
        ("POST", web.path("paused"), auth, 401),  # the token is checked before the suspension
        ("POST", web.path("deploys") + "?mode=later", auth, 400),
        ("POST", web.path("deploys") + "?mode=sync&timeout=soon", auth, 400),
        ("POST", web.path("deploys") + "?mode=sync&timeout=-5s", auth, 400),
    ]
    for method, path, headers, status in cases:
        answer = await web.http.request(method, path, headers=headers)
        assert answer.status_code == status, (method, path, answer.text)
        assert answer.json()["error"], (method, path)
    assert (await web.http.get(web.path("deploys"), headers=auth)).headers["allow"] == "POST"
    assert "suspended" in (await web.http.post(web.path("paused"), params={"token": paused})).text
    bad_timeout = await web.http.post(
        web.path("deploys"), params={"mode": "sync", "timeout": "soon"}, headers=auth
    )
    assert bad_timeout.json()["error"].startswith("timeout: ")
    assert (await web.http.get("/healthz")).text == "ok\n"
    assert await event_runs(web, "deploys") == []
    assert await event_runs(web, "paused") == []


async def test_a_body_over_one_mebibyte_is_refused_with_413(web: Webhook) -> None:
    token = await web.event(DEPLOYS)
    auth = {"Authorization": f"Bearer {token}"}
    service = "s" * (MAX_BODY_BYTES - len(json.dumps({"service": ""})))
    exact = json.dumps({"service": service}).encode()
    assert len(exact) == MAX_BODY_BYTES
    answer = await web.http.post(web.path("deploys"), content=exact, headers=auth)
    assert answer.status_code == 202, answer.text
    over = exact + b" "
    answer = await web.http.post(web.path("deploys"), content=over, headers=auth)
    assert answer.status_code == 413, answer.text
    assert str(MAX_BODY_BYTES) in answer.json()["error"]

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for start in range(0, len(over), 64 * 1024):
            yield over[start : start + 64 * 1024]

    answer = await web.http.post(web.path("deploys"), content=chunked(), headers=auth)
    assert answer.status_code == 413, answer.text
    assert len(await event_runs(web, "deploys")) == 1


async def test_a_client_sending_a_byte_a_second_is_cut_off_and_others_are_served(web: Webhook) -> None:
    token = await web.event(DEPLOYS)
    auth = {"Authorization": f"Bearer {token}"}

    async def trickle() -> AsyncIterator[bytes]:
        for byte in b'{"service": "slow"}':
            yield bytes([byte])
            await asyncio.sleep(1)  # the slow client's own pace, not a wait for the server

    started = time.monotonic()
    slow = asyncio.create_task(web.http.post(web.path("deploys"), content=trickle(), headers=auth))
    # While the trickle goes on, other callers are answered at once.
    for _ in range(3):
        answer = await web.http.post(web.path("deploys"), json={"service": "fast"}, headers=auth)
        assert answer.status_code == 202, answer.text
    try:
        cut = await slow
    except httpx.TransportError:
        pass  # the 408 was sent, but the client was still writing when the server hung up
    else:
        assert cut.status_code == 408, cut.text
        assert "did not arrive within 1s" in cut.json()["error"]
    elapsed = time.monotonic() - started
    # The body would take 19 s; the server gives it one.
    assert elapsed < 5, f"the slow client held on for {elapsed:.1f}s"
    runs = await event_runs(web, "deploys")
    assert len(runs) == 3
    assert all(r["spec"]["input"]["text"] == "deploys saw fast" for r in runs)


async def test_a_fire_is_the_root_span_of_a_new_trace_its_runs_continue(serve: Serve, spans: Spans) -> None:
    web = await serve(tracing=True)
    await apply_team(web.cluster.kube, web.cluster.namespace, NOTE)
    token = await web.event(DEPLOYS)
    foreign = "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01"
    answer = await web.http.post(
        web.path("deploys"), params={"token": token}, json={"service": "x"}, headers={"traceparent": foreign}
    )
    assert answer.status_code == 202, answer.text
    span = spans.named("ark.trigger")
    assert span.parent is None
    assert span.context is not None
    assert span.attributes is not None
    assert dict(span.attributes) == {
        "ark.namespace": web.cluster.namespace,
        "ark.event": "deploys",
        "ark.trigger.type": "webhook",
    }
    trace_id = f"{span.context.trace_id:032x}"
    assert trace_id != "ab" * 16
    run = await web.cluster.kube.get(ARK_RUNS, answer.json()["runs"][0], web.cluster.namespace)
    stored = run["metadata"]["annotations"][TRACEPARENT_ANNOTATION]
    assert stored.split("-")[1:3] == [trace_id, f"{span.context.span_id:016x}"]
