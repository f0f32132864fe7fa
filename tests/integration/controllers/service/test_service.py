"""ArkServices as a user drives them: the operator makes a Service for the HTTP port and follows
the agent's ready pods; a task POSTed with httpx becomes an ArkRun of the agent and is answered
from it (the agent's side of the queue played by the test, as in the other controller tests);
bad requests are refused with a reason, creating nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from ark.controllers.resources import ARK_AGENTS, ARK_RUNS
from ark.controllers.service.controller import ARK_SERVICES, ENDPOINT_SLICES
from ark.kube.client import KubeClient, NotFound
from ark.kube.resources import SERVICES
from tests.integration.controllers.conftest import Cluster, Start
from tests.integration.controllers.run.support import apply_team
from tests.integration.controllers.support import agent, condition
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.redis]

Obj = dict[str, Any]
BACKEND = "operator-tasks"
CLASH_TEAM = """
metadata: {name: clash}
spec:
  entry: lead
  roles: [{name: lead, model: mock, systemPrompt: p}]
"""


def ark_service(name: str, namespace: str, agent_name: str, *ports: tuple[str, int]) -> Obj:
    return {
        "apiVersion": "arkonis.dev/v1alpha1",
        "kind": "ArkService",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "selector": {"arkAgent": agent_name},
            "routing": {"strategy": "least-busy"},
            "ports": [{"protocol": protocol, "port": port} for protocol, port in ports],
        },
    }


def backend_slice(namespace: str, *addresses: str) -> Obj:
    """What Kubernetes' EndpointSlice controller writes for the operator's own task Service."""
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": f"{BACKEND}-abcde",
            "namespace": namespace,
            "labels": {"kubernetes.io/service-name": BACKEND},
        },
        "addressType": "IPv4",
        "endpoints": [{"addresses": [a], "conditions": {"ready": True}} for a in addresses],
        "ports": [{"name": "tasks", "port": 8093, "protocol": "TCP"}],
    }


async def get(kube: KubeClient, resource: Any, namespace: str, name: str) -> Obj | None:
    try:
        return await kube.get(resource, name, namespace)
    except NotFound:
        return None


async def service_status(kube: KubeClient, namespace: str, name: str) -> Obj:
    return dict((await kube.get(ARK_SERVICES, name, namespace)).get("status") or {})


async def ready_service(kube: KubeClient, namespace: str, name: str, replicas: int) -> Obj | None:
    obj = await kube.get(ARK_SERVICES, name, namespace)
    status = obj.get("status") or {}
    if (
        status.get("readyReplicas") == replicas
        and status.get("observedGeneration") == obj["metadata"]["generation"]
    ):
        return obj
    return None


async def serving(cluster: Cluster, name: str, agent_name: str, replicas: int = 1) -> str:
    """An agent with ``replicas`` ready pods behind ArkService ``name``; the task server's URL."""
    kube, namespace = cluster.kube, cluster.namespace
    await kube.create(
        ARK_AGENTS, agent(agent_name, namespace, model="mock", systemPrompt="p", replicas=replicas)
    )
    await kube.create(ARK_SERVICES, ark_service(name, namespace, agent_name, ("HTTP", 80)))
    await wait_for(lambda: ready_service(kube, namespace, name, replicas), timeout=90, message="ready pods")
    svc = await kube.get(SERVICES, name, namespace)
    # The Service's target is the operator's task server, here on a loopback port.
    return f"http://127.0.0.1:{svc['spec']['ports'][0]['targetPort']}"


async def service_runs(kube: KubeClient, namespace: str, name: str) -> list[Obj]:
    page = await kube.list(ARK_RUNS, namespace, label_selector=f"arkonis.dev/service={name}")
    return list(page["items"])


async def test_the_service_follows_the_agents_ready_pods_and_fronts_the_operator(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator(f"--service-backend={namespace}/{BACKEND}")
    kube = cluster.kube
    await kube.create(ENDPOINT_SLICES, backend_slice(namespace, "10.244.0.7"))
    await kube.create(
        ARK_SERVICES, ark_service("research", namespace, "researcher", ("A2A", 9000), ("HTTP", 80))
    )

    missing = await wait_for(
        lambda: condition_of(kube, namespace, "research", "AgentNotFound"), message="AgentNotFound"
    )
    assert missing["message"] == 'spec.selector.arkAgent: ArkAgent "researcher" does not exist'
    svc = await kube.get(SERVICES, "research", namespace)
    assert svc["metadata"]["ownerReferences"][0]["kind"] == "ArkService"
    assert [(p["name"], p["port"]) for p in svc["spec"]["ports"]] == [("http", 80)]
    assert "selector" not in svc["spec"]
    slice_ = await wait_for(lambda: get(kube, ENDPOINT_SLICES, namespace, "research-ark"), message="slice")
    assert slice_["metadata"]["labels"]["kubernetes.io/service-name"] == "research"
    assert [e["addresses"] for e in slice_["endpoints"]] == [["10.244.0.7"]]
    assert slice_["ports"][0]["port"] == svc["spec"]["ports"][0]["targetPort"]

    await kube.create(ARK_AGENTS, agent("researcher", namespace, model="mock", systemPrompt="p", replicas=2))
    ready = await wait_for(
        lambda: ready_service(kube, namespace, "research", 2), timeout=90, message="2 ready"
    )
    status = ready["status"]
    assert status["serviceName"] == "research"
    assert status["endpoint"] == f"http://research.{namespace}.svc:80/v1/tasks"
    assert condition(ready, "Ready")["reason"] == "Serving"

    # A second operator replica appears in the operator's Service: the ArkService's slice follows.
    endpoints = backend_slice(namespace, "10.244.0.7", "10.244.0.8")["endpoints"]
    await kube.patch(ENDPOINT_SLICES, f"{BACKEND}-abcde", {"endpoints": endpoints}, namespace)

    async def two_addresses() -> bool:
        found = await kube.get(ENDPOINT_SLICES, "research-ark", namespace)
        return [e["addresses"][0] for e in found["endpoints"]] == ["10.244.0.7", "10.244.0.8"]

    await wait_for(two_addresses, message="the slice to list both replicas")

    await kube.patch(ARK_AGENTS, "researcher", {"spec": {"replicas": 0}}, namespace)
    none = await wait_for(
        lambda: ready_service(kube, namespace, "research", 0), timeout=90, message="0 ready"
    )
    assert condition(none, "Ready")["reason"] == "NoReadyReplicas"

    # Without an HTTP port there is nothing to front: the Service and its slice go.
    await kube.patch(
        ARK_SERVICES, "research", {"spec": {"ports": [{"protocol": "A2A", "port": 9000}]}}, namespace
    )

    async def gone() -> bool:
        return (
            await absent(kube, SERVICES, namespace, "research")
            and await absent(kube, ENDPOINT_SLICES, namespace, "research-ark")
            and "endpoint" not in await service_status(kube, namespace, "research")
        )

    await wait_for(gone, message="the Service, its slice and the endpoint to go")


async def condition_of(kube: KubeClient, namespace: str, name: str, reason: str) -> Obj | None:
    found = condition(await kube.get(ARK_SERVICES, name, namespace), "Ready")
    return found if found.get("reason") == reason else None


async def absent(kube: KubeClient, resource: Any, namespace: str, name: str) -> bool:
    return await get(kube, resource, namespace, name) is None


async def test_a_posted_task_is_answered_from_a_run_that_ark_status_shows(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator()
    url = await serving(cluster, "research", "researcher")
    async with httpx.AsyncClient(timeout=30) as client:
        posted = asyncio.create_task(
            client.post(
                f"{url}/v1/tasks",
                json={"prompt": "Find three papers on CRDTs"},
                headers={"Host": f"research.{namespace}.svc:80"},
            )
        )
        task = await cluster.pods.task("researcher", "researcher")
        assert task.prompt.startswith("task: Find three papers on CRDTs")
        await cluster.pods.answer(task, "Shapiro 2011, Kleppmann 2017, Preguiça 2018", tokens=7)
        answer = await posted
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["status"] == "succeeded"
        assert body["output"] == "Shapiro 2011, Kleppmann 2017, Preguiça 2018"
        assert body["tokens"] == 14
        run = await kube_run(cluster, body["run"])
        assert run["spec"]["trigger"] == {"type": "service", "source": "research"}
        assert run["status"]["phase"] == "Succeeded"

        # The path form names the service itself (callers behind a proxy).
        posted = asyncio.create_task(
            client.post(
                f"{url}/v1/namespaces/{namespace}/arkservices/research/tasks", json={"prompt": "again"}
            )
        )
        task = await cluster.pods.task(
            "researcher", "researcher", run=await second_run_uid(cluster, body["run"])
        )
        await cluster.pods.answer(task, "", error="the model refused")
        failed = await posted
        assert failed.status_code == 500
        assert failed.json()["status"] == "failed"
        assert "the model refused" in failed.json()["error"]
        assert failed.json()["run"] != body["run"]

        # No answer within timeoutSeconds: 504 naming the run, which goes on.
        slow = await client.post(
            f"{url}/v1/tasks", json={"prompt": "slow", "timeoutSeconds": 1}, headers={"Host": "research"}
        )
        assert slow.status_code == 504
        assert slow.json()["status"] == "running"
        assert f"ark status {slow.json()['run']}" in slow.json()["error"]
        assert (await kube_run(cluster, slow.json()["run"])).get("metadata")
    assert len(await service_runs(cluster.kube, namespace, "research")) == 3


async def kube_run(cluster: Cluster, name: str) -> Obj:
    return await cluster.kube.get(ARK_RUNS, name, cluster.namespace)


async def second_run_uid(cluster: Cluster, first: str) -> str:
    async def other() -> str | None:
        runs = await service_runs(cluster.kube, cluster.namespace, "research")
        return next((r["metadata"]["uid"] for r in runs if r["metadata"]["name"] != first), None)

    return await wait_for(other, message="the second run")


async def test_bad_requests_are_refused_with_a_reason_and_create_nothing(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator()
    kube = cluster.kube
    url = await serving(cluster, "research", "researcher")
    await kube.create(ARK_AGENTS, agent("idle", namespace, model="mock", systemPrompt="p", replicas=0))
    await kube.create(ARK_SERVICES, ark_service("sleepy", namespace, "idle", ("HTTP", 80)))
    await kube.create(ARK_SERVICES, ark_service("peers", namespace, "researcher", ("A2A", 9000)))
    await apply_team(kube, namespace, CLASH_TEAM)
    await kube.create(ARK_SERVICES, ark_service("clash", namespace, "researcher", ("HTTP", 80)))
    await wait_for(lambda: condition_of(kube, namespace, "clash", "TeamNameTaken"), message="clash")
    await wait_for(lambda: condition_of(kube, namespace, "sleepy", "NoReadyReplicas"), message="sleepy")
    await wait_for(lambda: ready_service(kube, namespace, "peers", 1), timeout=60, message="peers")
    host = {"Host": f"research.{namespace}.svc"}
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        cases = [
            (await client.post("/v1/tasks", content=b"{nope", headers=host), 400, "the body is not JSON"),
            (await client.post("/v1/tasks", json={"text": "x"}, headers=host), 400, "unknown field 'text'"),
            (await client.post("/v1/tasks", json={}, headers=host), 400, "prompt: required"),
            (
                await client.post("/v1/tasks", json={"prompt": ""}, headers=host),
                400,
                "prompt: must not be empty",
            ),
            (
                await client.post("/v1/tasks", content=b"x" * (1024 * 1024 + 1), headers=host),
                413,
                "over 1048576 bytes",
            ),
            (await client.post("/v1/tasks", json={"prompt": "x"}, headers={"Host": "10.0.0.7"}), 400, "Host"),
            (
                await client.post(
                    "/v1/tasks", json={"prompt": "x"}, headers={"Host": f"nobody.{namespace}.svc"}
                ),
                404,
                f"ArkService {namespace}/nobody does not exist",
            ),
            (
                await client.post("/v1/tasks", json={"prompt": "x"}, headers={"Host": f"peers.{namespace}"}),
                404,
                "has no HTTP port",
            ),
        ]
        for answer, code, message in cases:
            assert answer.status_code == code, (code, answer.text)
            assert message in answer.json()["error"], answer.text
        refused = await client.post(
            "/v1/tasks", json={"prompt": "x"}, headers={"Host": f"sleepy.{namespace}"}
        )
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "5"
        assert "ArkAgent idle has no ready pods" in refused.json()["error"]
        assert (await client.get("/v1/tasks", headers=host)).status_code == 405
    for name in ("research", "sleepy", "peers", "clash"):
        assert await service_runs(kube, namespace, name) == []


async def test_the_service_keeps_its_ten_newest_succeeded_runs(start_operator: Start, namespace: str) -> None:
    cluster = await start_operator()
    url = await serving(cluster, "research", "researcher")
    names = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        for n in range(12):
            posted = asyncio.create_task(
                client.post(
                    "/v1/tasks", json={"prompt": f"task {n}"}, headers={"Host": f"research.{namespace}"}
                )
            )
            uid = await wait_for(lambda: new_run_uid(cluster, names), message=f"run {n}")
            await cluster.pods.answer(
                await cluster.pods.task("researcher", "researcher", run=uid), f"answer {n}"
            )
            answer = await posted
            assert answer.json()["output"] == f"answer {n}"
            names.append(answer.json()["run"])

    async def kept() -> list[str] | None:
        left = sorted(r["metadata"]["name"] for r in await service_runs(cluster.kube, namespace, "research"))
        return left if len(left) == 10 else None

    assert await wait_for(kept, message="10 runs kept") == sorted(names[2:])


async def new_run_uid(cluster: Cluster, known: list[str]) -> str | None:
    runs = await service_runs(cluster.kube, cluster.namespace, "research")
    return next((r["metadata"]["uid"] for r in runs if r["metadata"]["name"] not in known), None)
