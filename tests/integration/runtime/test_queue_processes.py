"""Real Redis and real ``ark-runtime`` processes: exactly-once answers, crashes, dead letters,
outages, SIGTERM, health, budget and delegation."""

from __future__ import annotations

import httpx
import pytest
from localcluster import RedisServer

from ark_runtime.protocol import (
    TASKS_GROUP,
    Result,
    Task,
    dead_stream,
    reply_stream,
    results_stream,
    tasks_stream,
)
from ark_runtime.queue.budget import budget_key
from ark_runtime.queue.connection import connect
from ark_runtime.queue.delegation import RedisDelegator, child_task_id
from tests.integration.runtime.queue_support import FAST_RECLAIM, Results, env, model_env, submit, tasks
from tests.integration.runtime.support import ModelServer, Reply, last_user_text, openai_text, runtimes
from tests.support.wait import wait_for

pytestmark = pytest.mark.redis


async def test_runtimes_share_a_stream_and_answer_every_task_once(
    redis_url: str, agent_name: str, results: Results
) -> None:
    work = tasks(f"share-{agent_name}", 300)
    pods = [
        env(redis_url, agent_name, f"{agent_name}-pod{i}", AGENT_MAX_CONCURRENT_TASKS="8") for i in range(3)
    ]
    with runtimes(*pods) as procs:
        await wait_for(lambda: all(p.started() for p in procs), timeout=30, message="runtimes started")
        await submit(redis_url, agent_name, work)
        answered = await results.wait([t.id for t in work])
        assert all(p.terminate() == 0 for p in procs)
    assert all(len(results.by_id[t.id]) == 1 for t in work)
    assert all(r.status == "ok" for r in answered.values())
    assert answered[work[7].id].output == '[mock response for step "s7": work item 7]'
    assert len({r.consumer for r in answered.values()}) > 1
    redis = connect(redis_url)
    pending = await redis.xpending(tasks_stream("rt", agent_name), TASKS_GROUP)
    await redis.aclose()
    assert pending["pending"] == 0


async def test_a_task_whose_runtime_is_killed_is_reclaimed_by_another(
    redis_url: str, agent_name: str, results: Results, model_server: ModelServer
) -> None:
    # The first model call never answers in time, so the kill lands mid-task; later calls answer at once.
    model_server.responder = lambda req: (
        Reply(delay=60) if len(model_server.requests) == 1 else openai_text("recovered")
    )
    work = tasks(f"kill-{agent_name}", 1)
    with runtimes(env(redis_url, agent_name, "pod-a", **model_env(model_server), **FAST_RECLAIM)) as (first,):
        await submit(redis_url, agent_name, work)
        await wait_for(lambda: len(model_server.requests) == 1, timeout=30, message="pod-a called the model")
        first.kill()
    with runtimes(env(redis_url, agent_name, "pod-b", **model_env(model_server), **FAST_RECLAIM)) as (
        second,
    ):
        answered = await results.wait([work[0].id], timeout=30)
        assert second.terminate() == 0
        assert any(e.get("msg") == "reclaimed a task from a stalled consumer" for e in second.logs())
    assert answered[work[0].id].status == "ok"
    assert answered[work[0].id].output == "recovered"
    assert answered[work[0].id].consumer == "pod-b"


async def test_a_task_that_keeps_crashing_its_runtime_ends_in_the_dead_letter_stream(
    redis_url: str, agent_name: str, results: Results, model_server: ModelServer
) -> None:
    # Every model call on this task hangs until the runtime is killed, as if the task crashed it.
    model_server.responder = lambda req: Reply(delay=60)
    work = tasks(f"dead-{agent_name}", 1, prompt="poison")
    await submit(redis_url, agent_name, work)
    for attempt in range(1, 3):
        pod = env(
            redis_url,
            agent_name,
            f"pod-{attempt}",
            AGENT_MAX_RETRIES="2",
            **model_env(model_server),
            **FAST_RECLAIM,
        )
        with runtimes(pod) as (proc,):
            await wait_for(
                lambda n=attempt: len(model_server.requests) == n, timeout=30, message=f"delivery {attempt}"
            )
            proc.kill()
    with runtimes(
        env(redis_url, agent_name, "pod-3", AGENT_MAX_RETRIES="2", **model_env(model_server), **FAST_RECLAIM)
    ) as (last,):
        answered = await results.wait([work[0].id], timeout=30)
        assert last.terminate() == 0
    result = answered[work[0].id]
    assert result.status == "error"
    assert "delivered 3 times" in result.error
    assert "AGENT_MAX_RETRIES=2" in result.error
    assert len(model_server.requests) == 2  # the third delivery was not run again
    redis = connect(redis_url)
    dead = await redis.xrange(dead_stream("rt", agent_name))
    pending = await redis.xpending(tasks_stream("rt", agent_name), TASKS_GROUP)
    await redis.aclose()
    assert len(dead) == 1
    assert dead[0][1]["id"] == work[0].id
    assert dead[0][1]["prompt"] == "poison 0"
    assert dead[0][1]["deliveries"] == "3"
    assert dead[0][1]["consumer"] == "pod-3"
    assert pending["pending"] == 0


@pytest.mark.parametrize("outage", ["restart", "kill"])
async def test_the_runtime_rides_out_a_redis_outage(
    redis_server: RedisServer, agent_name: str, results: Results, model_server: ModelServer, outage: str
) -> None:
    model_server.responder = lambda req: Reply(
        openai_text(f"answer to {last_user_text(req['body'])}").body, delay=0.2
    )
    work = tasks(f"outage-{outage}-{agent_name}", 12)
    pod = env(
        redis_server.url, agent_name, "pod-o", AGENT_MAX_CONCURRENT_TASKS="2", **model_env(model_server)
    )
    with runtimes(pod) as (proc,):
        await submit(redis_server.url, agent_name, work)
        await wait_for(results.poll, timeout=30, message="first results")
        if outage == "restart":
            redis_server.stop(keep_data=True)
        else:
            redis_server.kill()
        # Down until the runtime has seen it: a restart quicker than redis-py's own retries would
        # otherwise go unnoticed, and test nothing.
        await wait_for(
            lambda: any(e.get("msg") == "redis unreachable; retrying with backoff" for e in proc.logs()),
            timeout=30,
            message="the runtime noticing the outage",
        )
        redis_server.start()
        answered = await results.wait([t.id for t in work], timeout=90)
        assert proc.terminate() == 0
        assert any(e.get("msg") == "redis reachable again" for e in proc.logs())
    assert all(
        r.status == "ok" and r.output == f"answer to work item {t.id.split('.s')[1].split('.')[0]}"
        for t, r in ((t, answered[t.id]) for t in work)
    )


async def test_sigterm_finishes_in_flight_tasks_and_exits_0(
    redis_url: str, agent_name: str, results: Results, model_server: ModelServer
) -> None:
    model_server.responder = lambda req: Reply(openai_text("slow answer").body, delay=1.5)
    work = tasks(f"term-{agent_name}", 3)
    with runtimes(
        env(redis_url, agent_name, "pod-t", AGENT_MAX_CONCURRENT_TASKS="3", **model_env(model_server))
    ) as (proc,):
        await submit(redis_url, agent_name, work)
        await wait_for(lambda: len(model_server.requests) == 3, timeout=30, message="three tasks in flight")
        assert proc.terminate() == 0
    answered = await results.wait([t.id for t in work], timeout=5)
    assert all(r.output == "slow answer" for r in answered.values())


async def test_health_endpoints(redis_url: str, agent_name: str, model_server: ModelServer) -> None:
    model_server.responder = lambda req: openai_text("I feel fine")
    healthy = env(
        redis_url, agent_name, "pod-h1", AGENT_VALIDATOR_PROMPT="Answer HEALTHY if you can read this."
    )
    unwell = env(
        redis_url, agent_name, "pod-h2", AGENT_VALIDATOR_PROMPT="Answer HEALTHY.", **model_env(model_server)
    )
    ping = env(redis_url, agent_name, "pod-h3")
    with runtimes(healthy, unwell, ping) as procs:
        await wait_for(lambda: all(p.started() for p in procs), timeout=30, message="runtimes started")
        async with httpx.AsyncClient() as client:
            answers = [
                (
                    await client.get(f"http://127.0.0.1:{p.health_port}/healthz"),
                    await client.get(f"http://127.0.0.1:{p.health_port}/readyz"),
                )
                for p in procs
            ]
            # The verdict is cached for the probe interval: asking again does not call the model again.
            calls = len(model_server.requests)
            await client.get(f"http://127.0.0.1:{procs[1].health_port}/readyz")
            assert len(model_server.requests) == calls == 1
    assert all((h.status_code, h.text) == (200, "ok") for h, _ in answers)
    assert (answers[0][1].status_code, answers[0][1].text) == (200, "ready")
    assert answers[1][1].status_code == 503
    assert "lacks HEALTHY" in answers[1][1].text
    assert "I feel fine" in answers[1][1].text
    assert (answers[2][1].status_code, answers[2][1].text) == (200, "ready")


async def test_daily_token_budget_refuses_tasks_once_spent(
    redis_url: str, agent_name: str, results: Results
) -> None:
    first, second = tasks(f"budget-{agent_name}", 2, prompt="x" * 400)
    with runtimes(env(redis_url, agent_name, "pod-b", AGENT_DAILY_TOKEN_LIMIT="50")) as (proc,):
        await submit(redis_url, agent_name, [first])
        done = await results.wait([first.id])
        await submit(redis_url, agent_name, [second])
        refused = await results.wait([second.id])
        assert proc.terminate() == 0
    assert done[first.id].status == "ok"
    assert done[first.id].total_tokens > 50
    assert refused[second.id].status == "error"
    assert "daily token budget exhausted" in refused[second.id].error
    redis = connect(redis_url)
    members = await redis.zrange(budget_key("rt", agent_name), 0, -1, withscores=True)
    await redis.aclose()
    assert members == [(f"{first.id}:{done[first.id].total_tokens}", float(done[first.id].finished_ms))]


async def test_delegation_between_pods(redis_url: str, agent_name: str, results: Results) -> None:
    # The test plays the operator's part: a delegation request on the results stream becomes a
    # task on the target role's stream whose result goes straight to the request's reply stream.
    research = f"{agent_name}-research"
    lead = env(
        redis_url,
        agent_name,
        "lead-pod",
        AGENT_TEAM_ROLE="lead",
        AGENT_TEAM_ROUTES=f'{{"research": "{tasks_stream("rt", research)}"}}',
    )
    helper = env(redis_url, research, "research-pod", AGENT_TEAM_ROLE="research")
    task = Task(
        id=f"deleg-{agent_name}.lead.1", run=f"deleg-{agent_name}", step="lead", prompt="Find the facts"
    )
    with runtimes(lead, helper) as procs:
        await submit(redis_url, agent_name, [task])
        await wait_for(lambda: _requested(results), timeout=30, message="the lead's delegation request")
        (request,) = results.requests
        assert (request.parent, request.role, request.prompt) == (task.id, "research", "Find the facts")
        assert request.reply_to == f"ark:replies:rt:{task.id}"
        child = Task(
            id=request.id,
            run=request.run,
            step="research",
            prompt=request.prompt,
            kind="delegate",
            reply_to=request.reply_to,
            parent=request.parent,
        )
        await submit(redis_url, research, [child])
        answered = await results.wait([task.id], timeout=30)
        assert all(p.terminate() == 0 for p in procs)
    result = answered[task.id]
    assert result.status == "ok"
    assert result.tool_calls == 1
    assert '[mock response for step "research": Find the facts]' in result.output


async def _requested(results: Results) -> bool:
    await results.poll()
    return bool(results.requests)


async def test_a_repeated_delegate_call_finds_its_answer_and_asks_nothing(
    redis_url: str, agent_name: str
) -> None:
    # A parent task that crashed and runs again makes the same call: the operator's answer to the
    # first one is already on the reply stream, so nothing new goes to the operator.
    redis = connect(redis_url)
    parent = Task(id=f"again-{agent_name}.lead.1", run=f"again-{agent_name}", step="lead", prompt="p")
    delegator = RedisDelegator(redis, "rt", {"research": "x"}, timeout_seconds=5)
    request_id = child_task_id(parent, "research", "look it up")
    before = await redis.xlen(results_stream("rt"))
    try:
        await redis.xadd(
            reply_stream("rt", parent.id),
            Result(
                id=request_id, run=parent.run, step="lead/research", status="ok", output="found"
            ).to_fields(),  # type: ignore[arg-type]
        )
        assert await delegator("research", "look it up", parent) == "found"
        assert await redis.xlen(results_stream("rt")) == before
    finally:
        await redis.aclose()
