"""The pod runner is the kubelet of the local cluster: agent pods are real ``ark-runtime`` processes.

Everything here is real: the API server and controllers, kwok (leaving our pods alone), the
operator under its own ServiceAccount, the runner, ``ark-runtime`` processes, Redis, and for the
readiness test a loopback OpenAI-compatible model server.
"""

from __future__ import annotations

import datetime
import os
import re
import signal
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from podrunner.env import kubelet_env

from ark.controllers.resources import ARK_AGENTS
from ark.kube.client import KubeClient, NotFound
from ark.kube.resources import CONFIGMAPS, DEPLOYMENTS, EVENTS, PODS, SECRETS
from ark_runtime.protocol import Task, results_stream, tasks_stream
from ark_runtime.queue.connection import connect
from ark_runtime.queue.submit import ResultsReader, Submitter
from tests.e2e.operator.support import Account, OperatorProcess
from tests.integration.controllers.support import agent, configmap, create_all, secret
from tests.integration.runtime.support import ModelServer, openai_text
from tests.support.runner_cluster import BACKOFF_BASE, PodRunnerProcess
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.redis]
Obj = dict[str, Any]
VENV_BIN = str(Path(sys.executable).parent)


# --------------------------------------------------------------------------- reading what runs


async def pods_of(kube: KubeClient, namespace: str, name: str) -> list[Obj]:
    selector = f"arkonis.dev/deployment={name}"
    return list((await kube.list(PODS, namespace, label_selector=selector))["items"])


def container_status(pod: Obj) -> Obj:
    statuses = (pod.get("status") or {}).get("containerStatuses") or [{}]
    return dict(statuses[0])


def condition(pod: Obj, kind: str) -> str | None:
    return next((c["status"] for c in pod["status"].get("conditions") or () if c["type"] == kind), None)


def pid_of(pod: Obj) -> int | None:
    container_id = container_status(pod).get("containerID", "")
    return int(container_id.removeprefix("podrunner://")) if container_id.startswith("podrunner://") else None


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


def environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().decode()
    return dict(entry.split("=", 1) for entry in raw.split("\0") if entry)


async def ready_pods(kube: KubeClient, namespace: str, name: str, count: int) -> list[Obj] | None:
    """The agent's pods once exactly ``count`` exist and are Ready, with a running process each."""
    pods = await pods_of(kube, namespace, name)
    ready = [p for p in pods if condition(p, "Ready") == "True" and pid_of(p) is not None]
    return ready if len(pods) == len(ready) == count else None


async def deployment_ready(kube: KubeClient, namespace: str, name: str, count: int) -> bool:
    deployment = await kube.get(DEPLOYMENTS, f"{name}-agent", namespace)
    return (deployment.get("status") or {}).get("readyReplicas") == count


async def events_of(kube: KubeClient, namespace: str, pod: str) -> list[Obj]:
    events = (await kube.list(EVENTS, namespace))["items"]
    return [e for e in events if e["involvedObject"].get("name") == pod]


# --------------------------------------------------------------------------- tests


async def test_an_agent_runs_as_real_processes_with_the_kubelets_environment(
    operator: OperatorProcess, kube: KubeClient, namespace: str, redis_url: str
) -> None:
    await create_all(
        kube,
        configmap("prompts", namespace, {"helper": "Help with $HOME-made soup."}),
        secret("extra", namespace, {"FROM_SECRET": "s3cret", "AGENT_MAX_RETRIES": "7"}),
    )
    await kube.create(
        ARK_AGENTS,
        agent(
            "helper",
            namespace,
            model="claude-sonnet-4-6",
            replicas=2,
            systemPromptRef={"configMapKeyRef": {"name": "prompts", "key": "helper"}},
            envFrom=[
                {"secretRef": {"name": "extra"}},
                {"configMapRef": {"name": "absent", "optional": True}},
            ],
            env=[
                {"name": "MY_UID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.uid"}}},
                {"name": "MY_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            ],
        ),
    )
    pods = await wait_for(
        lambda: ready_pods(kube, namespace, "helper", 2), timeout=90, message="2 Ready pods with processes"
    )
    # The real ReplicaSet and Deployment controllers count the runner's readiness.
    await wait_for(
        lambda: deployment_ready(kube, namespace, "helper", 2), timeout=30, message="readyReplicas 2"
    )

    configmaps = {c["metadata"]["name"]: c for c in (await kube.list(CONFIGMAPS, namespace))["items"]}
    secrets = {s["metadata"]["name"]: s for s in (await kube.list(SECRETS, namespace))["items"]}
    for pod in pods:
        status = container_status(pod)
        assert (status["ready"], status["started"], status["restartCount"]) == (True, True, 0)
        assert status["state"]["running"]["startedAt"]
        # Not kwok's doing: kwok would give a 10.0.0.x address and no container ID.
        assert pod["status"]["podIP"] == "127.0.0.1"
        pid = pid_of(pod)
        assert pid is not None
        assert alive(pid)
        env = environ(pid)
        spec = pod["spec"]["containers"][0]
        expected = kubelet_env(
            pod,
            spec,
            configmap=configmaps.get,
            secret=secrets.get,
            pod_ips=("127.0.0.1",),
            host_ips=("127.0.0.1",),
        )
        # Exactly what a kubelet gives, plus the image's PATH and the one deviation, the health port.
        assert set(env) == {*expected, "PATH", "AGENT_HEALTH_PORT"}
        assert {k: env[k] for k in expected} == expected
        assert env["PATH"].split(":")[0] == VENV_BIN
        assert env["AGENT_HEALTH_PORT"] != "8080"
        assert env["POD_NAME"] == pod["metadata"]["name"]
        assert env["MY_UID"] == pod["metadata"]["uid"]
        assert env["MY_IP"] == "127.0.0.1"
        assert env["AGENT_PROVIDER"] == "mock"
        assert env["AGENT_SYSTEM_PROMPT"] == "Help with $HOME-made soup."
        assert env["FROM_SECRET"] == "s3cret"
        # The operator's AGENT_MAX_RETRIES (an env entry) wins over the Secret's (envFrom).
        assert env["AGENT_MAX_RETRIES"] == "3"
        assert env["TASK_QUEUE_URL"] == redis_url
        async with httpx.AsyncClient(timeout=5) as http:
            assert (await http.get(f"http://127.0.0.1:{env['AGENT_HEALTH_PORT']}/readyz")).status_code == 200

    redis = connect(redis_url)
    try:
        reader = ResultsReader(redis, results_stream(namespace), consumer="podrunner-test")
        task = Task(id=f"runner-{time.time_ns()}", run="r", step="greet", prompt="Say hello to the cluster.")
        assert await Submitter(redis).submit(tasks_stream(namespace, "helper"), task)

        async def answered() -> Any:
            for entry_id, result in await reader.read(block_ms=200):
                await reader.ack(entry_id)
                if result.id == task.id:
                    return result
            return None

        result = await wait_for(answered, timeout=60, message="the task's result")
    finally:
        await redis.aclose()
    assert result.status == "ok"
    assert result.output == '[mock response for step "greet": Say hello to the cluster.]'
    assert result.consumer in {pod["metadata"]["name"] for pod in pods}


async def test_readiness_comes_from_the_containers_own_readyz(
    operator: OperatorProcess, kube: KubeClient, namespace: str
) -> None:
    healthy = False
    model = ModelServer()
    model.responder = lambda _: openai_text("HEALTHY" if healthy else "still warming up")
    model.start()
    try:
        await kube.create(
            ARK_AGENTS,
            agent(
                "judged",
                namespace,
                model="llama3.2",
                replicas=1,
                systemPrompt="Judge.",
                livenessProbe={"type": "semantic", "validatorPrompt": "Say HEALTHY.", "intervalSeconds": 1},
                # The agent's own env wins over the operator's --agent-env AGENT_PROVIDER=mock.
                env=[
                    {"name": "AGENT_PROVIDER", "value": "openai"},
                    {"name": "OPENAI_BASE_URL", "value": model.openai_base},
                    {"name": "OPENAI_API_KEY", "value": "x"},
                ],
            ),
        )

        async def running_but_unready() -> Obj | None:
            pods = await pods_of(kube, namespace, "judged")
            if (
                len(pods) != 1
                or "running" not in container_status(pods[0]).get("state", {})
                or not model.requests
            ):
                return None
            return pods[0]

        pod = await wait_for(
            running_but_unready, timeout=90, message="a running process the model judged unready"
        )
        # The process runs and answers /readyz with 503: the pod is not Ready (kwok would say it is).
        assert condition(pod, "Ready") == "False"
        assert container_status(pod)["ready"] is False
        assert not await deployment_ready(kube, namespace, "judged", 1)

        healthy = True
        ready = await wait_for(lambda: ready_pods(kube, namespace, "judged", 1), timeout=60, message="Ready")
        assert pid_of(ready[0]) == pid_of(pod)
        await wait_for(
            lambda: deployment_ready(kube, namespace, "judged", 1), timeout=30, message="readyReplicas"
        )
    finally:
        model.stop()


async def test_a_killed_process_is_restarted_with_back_off_and_counted(
    operator: OperatorProcess, pod_runner: PodRunnerProcess, kube: KubeClient, namespace: str
) -> None:
    await create_all(kube, agent("sturdy", namespace, model="m", replicas=1, systemPrompt="Be sturdy."))
    (pod,) = await wait_for(lambda: ready_pods(kube, namespace, "sturdy", 1), timeout=90, message="Ready")
    name = pod["metadata"]["name"]
    pids = []
    for restarts in (1, 2):
        pid = pid_of(pod)
        assert pid is not None
        pids.append(pid)
        os.kill(pid, signal.SIGKILL)

        async def restarted(count: int = restarts, old: int = pid) -> Obj | None:
            (current,) = await pods_of(kube, namespace, "sturdy")
            status = container_status(current)
            fresh = status.get("restartCount") == count and pid_of(current) not in (None, old)
            return current if fresh and status["ready"] else None

        pod = await wait_for(restarted, timeout=60, message=f"restart {restarts} Ready")
        last = container_status(pod)["lastState"]["terminated"]
        assert (last["exitCode"], last["reason"], last["containerID"]) == (137, "Error", f"podrunner://{pid}")
        assert not alive(pid)

    # The first restart is immediate, the second waits the back-off (as the kubelet's).
    log = pod_runner.pod_log(namespace, name)
    marks = {
        m["what"]: datetime.datetime.fromisoformat(m["at"])
        for m in re.finditer(r"^\[podrunner (?P<at>\S+)Z\] agent: (?P<what>.+)$", log, re.MULTILINE)
    }

    def gap(exited: int, restart: int) -> float:
        started = next(
            v for k, v in marks.items() if k.startswith("started pid") and f"(restart {restart})" in k
        )
        return (started - marks[f"pid {exited} exited with 137"]).total_seconds()

    assert gap(pids[0], 1) < BACKOFF_BASE
    assert gap(pids[1], 2) >= BACKOFF_BASE
    reasons = {e["reason"] for e in await events_of(kube, namespace, name)}
    assert {"Started", "BackOff"} <= reasons


async def test_scaling_to_zero_stops_the_processes_with_sigterm(
    operator: OperatorProcess, pod_runner: PodRunnerProcess, kube: KubeClient, namespace: str
) -> None:
    await create_all(kube, agent("brief", namespace, model="m", replicas=2, systemPrompt="Be brief."))
    pods = await wait_for(lambda: ready_pods(kube, namespace, "brief", 2), timeout=90, message="2 Ready")
    pids = [pid_of(p) for p in pods]
    await kube.patch(ARK_AGENTS, "brief", {"spec": {"replicas": 0}}, namespace)

    async def gone() -> bool:
        return not await pods_of(kube, namespace, "brief") and not any(alive(p) for p in pids if p)

    await wait_for(gone, timeout=60, message="pods deleted by the runner once their processes exited")
    for pod, pid in zip(pods, pids, strict=True):
        log = pod_runner.pod_log(namespace, pod["metadata"]["name"])
        # The runtime logs "agent stopped" only on its graceful path, i.e. after SIGTERM.
        assert '"msg": "agent stopped"' in log
        assert f"pid {pid} exited with 0" in log
        assert "stopping (SIGTERM, SIGKILL after 30s)" in log


async def test_a_missing_env_from_secret_blocks_the_start_until_it_is_created(
    operator: OperatorProcess, kube: KubeClient, namespace: str
) -> None:
    await kube.create(
        ARK_AGENTS,
        agent(
            "keyed",
            namespace,
            model="m",
            replicas=1,
            systemPrompt="Keyed.",
            envFrom=[{"secretRef": {"name": "llm-credentials"}}],
        ),
    )

    async def blocked() -> Obj | None:
        pods = await pods_of(kube, namespace, "keyed")
        waiting = container_status(pods[0]).get("state", {}).get("waiting", {}) if pods else {}
        return pods[0] if waiting.get("reason") == "CreateContainerConfigError" else None

    pod = await wait_for(blocked, timeout=90, message="CreateContainerConfigError")
    status = container_status(pod)
    assert status["state"]["waiting"]["message"] == 'secret "llm-credentials" not found'
    assert pid_of(pod) is None
    assert pod["status"]["phase"] == "Pending"
    events = await events_of(kube, namespace, pod["metadata"]["name"])
    assert any(
        e["reason"] == "Failed" and 'secret "llm-credentials" not found' in e["message"] for e in events
    )

    await create_all(kube, secret("llm-credentials", namespace, {"OPENAI_API_KEY": ""}))
    (started,) = await wait_for(lambda: ready_pods(kube, namespace, "keyed", 1), timeout=60, message="Ready")
    assert started["metadata"]["uid"] == pod["metadata"]["uid"]
    pid = pid_of(started)
    assert pid is not None
    assert environ(pid)["OPENAI_API_KEY"] == ""


async def test_the_operator_image_runs_with_its_metrics_port_moved(
    account: Account, pod_runner: PodRunnerProcess, kube: KubeClient, namespace: str, redis_url: str
) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "operator", "namespace": namespace},
        "spec": {
            "terminationGracePeriodSeconds": 5,
            "containers": [
                {
                    "name": "operator",
                    "image": "ghcr.io/arkonis-dev/ark:0.1.0",
                    "command": ["ark-operator"],
                    "args": [
                        f"--kubeconfig={account.kubeconfig}",
                        "--namespace=$(POD_NAMESPACE)",
                        f"--leader-election-namespace={namespace}",
                        f"--task-queue-url={redis_url}",
                        "--metrics-addr=:8081",
                    ],
                    "env": [
                        {
                            "name": "POD_NAMESPACE",
                            "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}},
                        }
                    ],
                    "ports": [{"name": "metrics", "containerPort": 8081}],
                    "readinessProbe": {
                        "httpGet": {"path": "/readyz", "port": "metrics"},
                        "initialDelaySeconds": 5,
                    },
                }
            ],
        },
    }
    await kube.create(PODS, pod)

    async def ready() -> Obj | None:
        current = await kube.get(PODS, "operator", namespace)
        return current if condition(current, "Ready") == "True" else None

    running = await wait_for(
        ready, timeout=60, message="the operator pod Ready through its moved metrics port"
    )
    pid = pid_of(running)
    assert pid is not None
    argv = cmdline(pid)
    metrics = [a for a in argv if a.startswith("--metrics-addr")]
    assert len(metrics) == 1
    assert metrics[0] != "--metrics-addr=:8081"
    assert f"--namespace={namespace}" in argv  # $(POD_NAMESPACE) expanded in args, as the kubelet does
    port = metrics[0].rsplit(":", 1)[1]
    async with httpx.AsyncClient(timeout=5) as http:
        assert "leader_election_master_status" in (await http.get(f"http://127.0.0.1:{port}/metrics")).text

    await kube.delete(PODS, "operator", namespace)

    async def deleted() -> bool:
        try:
            await kube.get(PODS, "operator", namespace)
        except NotFound:
            return not alive(pid)
        return False

    await wait_for(deleted, timeout=60, message="the pod gone after its process exited")
    assert "exited with 0" in pod_runner.pod_log(namespace, "operator")


async def test_pods_of_other_images_are_still_kwoks(kube: KubeClient, namespace: str) -> None:
    labels = {"app": "web"}
    await kube.create(
        DEPLOYMENTS,
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": namespace},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
                },
            },
        },
    )

    async def ready() -> bool:
        deployment = await kube.get(DEPLOYMENTS, "web", namespace)
        return (deployment.get("status") or {}).get("readyReplicas") == 2

    await wait_for(ready, timeout=60, message="kwok to make the nginx pods Ready")
    pods = (await kube.list(PODS, namespace, label_selector="app=web"))["items"]
    assert all(p["status"]["podIP"].startswith("10.0.0.") and pid_of(p) is None for p in pods)
