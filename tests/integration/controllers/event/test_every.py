"""``@every`` schedules, the way tests shorten a cron source's time without touching the clock:
a fire lands within a second of its scheduled time, an operator down across three scheduled
times fires once, for the latest, when it is back, and Forbid skips while a run is going."""

from __future__ import annotations

import datetime
import time

import pytest

from ark.controllers.event.names import fire_run_name
from ark.controllers.resources import ARK_RUNS
from tests.integration.controllers.conftest import Start
from tests.integration.controllers.event.support import apply_event, event_status, fired, get_run, with_reason
from tests.integration.controllers.run.support import apply_team
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.redis]

INTERVAL = 2
SINK = """
metadata: {name: sink}
spec:
  entry: read
  roles: [{name: read, model: mock, systemPrompt: p}]
"""


def stamp(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_every_fires_on_time_and_collapses_the_times_an_operator_was_down(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator()
    kube = cluster.kube
    await apply_team(kube, namespace, SINK)
    event = await apply_event(
        kube,
        namespace,
        f"""
metadata: {{name: ticker}}
spec:
  source: {{type: cron, cron: "@every {INTERVAL}s"}}
  targets: [{{team: sink}}]
""",
    )
    created = datetime.datetime.fromisoformat(event["metadata"]["creationTimestamp"])
    first = created + datetime.timedelta(seconds=INTERVAL)
    run = await wait_for(
        lambda: get_run(kube, namespace, fire_run_name("ticker", stamp(first), 0)),
        timeout=30,
        interval=0.02,
        message="the first fire",
    )
    lag = time.time() - first.timestamp()
    assert 0 <= lag < 1.0, f"fired {lag:.3f}s after its time"
    assert run["spec"]["trigger"] == {"type": "cron", "source": "ticker"}

    await cluster.stop()
    before = await event_status(kube, namespace, "ticker")
    last = datetime.datetime.fromisoformat(before["lastFiredAt"])
    missed = [last + datetime.timedelta(seconds=INTERVAL * k) for k in (1, 2, 3)]
    await wait_for(
        lambda: time.time() > missed[-1].timestamp(), timeout=30, message="three scheduled times to pass"
    )

    await start_operator()
    status = await wait_for(
        lambda: fired(kube, namespace, "ticker", before["firedCount"] + 1),
        timeout=30,
        message="the late fire",
    )
    latest = datetime.datetime.fromisoformat(status["lastFiredAt"])
    assert latest >= missed[-1]
    assert await get_run(kube, namespace, fire_run_name("ticker", stamp(latest), 0)) is not None
    skipped = []
    moment = last + datetime.timedelta(seconds=INTERVAL)
    while moment < latest:
        skipped.append(fire_run_name("ticker", stamp(moment), 0))
        moment += datetime.timedelta(seconds=INTERVAL)
    names = {r["metadata"]["name"] for r in (await kube.list(ARK_RUNS, namespace))["items"]}
    assert len(skipped) >= 2  # three or more times collapsed into the one fire for the latest
    assert not names & set(skipped), "a missed time fired on its own"


async def test_a_forbid_schedule_skips_while_its_run_is_going_and_says_so(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator()
    kube = cluster.kube
    await apply_team(kube, namespace, SINK)
    event = await apply_event(
        kube,
        namespace,
        """
metadata: {name: one-at-a-time}
spec:
  source: {type: cron, cron: "@every 1s"}
  concurrencyPolicy: Forbid
  targets: [{team: sink}]
""",
    )
    created = datetime.datetime.fromisoformat(event["metadata"]["creationTimestamp"])
    first = fire_run_name("one-at-a-time", stamp(created + datetime.timedelta(seconds=1)), 0)
    await wait_for(lambda: get_run(kube, namespace, first), timeout=30, message="the first fire")

    # No agent answers, so the first run is still going at the next times.
    reasons = await wait_for(
        lambda: with_reason(kube, namespace, "one-at-a-time", "FireSkipped"),
        timeout=30,
        message="FireSkipped",
    )
    assert reasons["FireSkipped"] == f"concurrencyPolicy Forbid: skipped a fire while {first} runs"
    runs = await kube.list(ARK_RUNS, namespace, label_selector="arkonis.dev/trigger=cron")
    assert [r["metadata"]["name"] for r in runs["items"]] == [first]
    assert (await event_status(kube, namespace, "one-at-a-time"))["firedCount"] == 1
