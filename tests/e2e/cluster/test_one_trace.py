"""One trace from ``ark trigger`` to the last step's answer, read back from a real Jaeger.

The operator runs as its own process and the pod runner starts a real ``ark-runtime`` per agent
pod, all exporting OTLP/HTTP to Jaeger (built from its Go module) on loopback: the operator
passes its ``OTEL_*`` settings on to the pods. The agents talk to a loopback model server in
the OpenAI wire format; the middle step calls the MCP reference server's ``echo`` tool.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from ark.controllers.resources import ARK_TEAMS
from ark.kube.client import KubeClient
from tests.conftest import Kubectl
from tests.e2e.cluster.conftest import Ark, StartOperator
from tests.integration.runtime.support import ModelServer, Reply, openai_text, openai_tool_call
from tests.support.jaeger import Jaeger
from tests.support.mcp_reference import ReferenceServer
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.redis]

TEAM = """
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata: {name: traced}
spec:
  roles:
    - {name: plan, model: llama3.2, systemPrompt: You plan.}
    - name: research
      model: llama3.2
      systemPrompt: You look things up.
      mcpServers: [{name: everything, url: MCP_URL}]
    - {name: write, model: llama3.2, systemPrompt: You write.}
  pipeline:
    - {role: plan, inputs: {prompt: "Plan {{ .input.topic }}."}}
    - {role: research, dependsOn: [plan], inputs: {prompt: "Research {{ .steps.plan.output }}"}}
    - {role: write, dependsOn: [research], inputs: {prompt: "Write {{ .steps.research.output }}"}}
  output: "{{ .steps.write.output }}"
"""
STEPS = ("plan", "research", "write")
# Short batch delays: the test waits for spans to arrive instead of for the default 5 s.
OTEL_ENV = {"OTEL_BSP_SCHEDULE_DELAY": "200", "OTEL_EXPORTER_OTLP_TIMEOUT": "5000"}


def _answer(entry: dict[str, Any]) -> Reply:
    body = entry["body"]
    offered = {tool["function"]["name"] for tool in body.get("tools") or []}
    answered = any(message["role"] == "tool" for message in body["messages"])
    if "everything__echo" in offered and not answered:
        return openai_tool_call("call_1", "everything__echo", {"message": "otters"})
    return openai_text("noted", prompt_tokens=11, completion_tokens=3)


@pytest.fixture
def jaeger() -> Iterator[Jaeger]:
    server = Jaeger().wait_ready()
    yield server
    server.terminate(timeout=15)
    server.close()


@pytest.fixture
def model() -> Iterator[ModelServer]:
    server = ModelServer()
    server.responder = _answer
    server.start()
    yield server
    server.stop()


@pytest.fixture
def tools() -> Iterator[ReferenceServer]:
    server = ReferenceServer("streamableHttp").wait_ready()
    yield server
    server.close()


async def _ready(kube: KubeClient, namespace: str) -> bool:
    team = await kube.get(ARK_TEAMS, "traced", namespace)
    return (team.get("status") or {}).get("phase") == "Ready"


def _complete(jaeger: Jaeger, trace_id: str) -> dict[str, Any] | None:
    # The runtimes and the operator export in batches: wait until the last pieces are there.
    found = jaeger.trace(trace_id)
    names = {span["operationName"] for span in (found or {}).get("spans", [])}
    wanted = {"ark.trigger", "ark.run", "ark.tool everything__echo", *(f"ark.task {s}" for s in STEPS)}
    results = sum(span["operationName"] == "ark.step.result" for span in (found or {}).get("spans", []))
    return found if wanted <= names and results == len(STEPS) else None


async def test_a_triggered_pipeline_is_one_trace_in_jaeger(
    jaeger: Jaeger,
    model: ModelServer,
    tools: ReferenceServer,
    start_operator: StartOperator,
    ark: Ark,
    cluster_kubectl: Kubectl,
    kube: KubeClient,
    namespace: str,
) -> None:
    otel = {**OTEL_ENV, "OTEL_EXPORTER_OTLP_ENDPOINT": jaeger.otlp_url}
    start_operator(
        "--agent-env=OPENAI_API_KEY=unused", f"--agent-env=OPENAI_BASE_URL={model.openai_base}", env=otel
    )
    cluster_kubectl("apply", "-f", "-", input=TEAM.replace("MCP_URL", tools.url))
    await wait_for(lambda: _ready(kube, namespace), timeout=120, message="ArkTeam traced Ready")

    done = ark(
        "trigger", "traced", "--input", "topic=otters", "--sync", "--timeout", "120s", "-o", "json", env=otel
    )
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)
    assert run["phase"] == "Succeeded", run
    created = next(line for line in done.stderr.splitlines() if line.endswith(" created"))
    name = created.removeprefix("arkrun.arkonis.dev/").removesuffix(" created")
    got = cluster_kubectl("get", "arkrun", name, "-o", "json").stdout
    trace_id = json.loads(got)["metadata"]["annotations"]["arkonis.dev/traceparent"].split("-")[1]

    async def complete() -> dict[str, Any] | None:
        return await asyncio.to_thread(_complete, jaeger, trace_id)

    found = await wait_for(complete, timeout=60, message="the whole trace in Jaeger")
    spans = {span["spanID"]: span for span in found["spans"]}
    assert {span["traceID"] for span in spans.values()} == {trace_id}

    def parent(span: dict[str, Any]) -> dict[str, Any] | None:
        # Jaeger puts the parent first; a consumer span linked to its own parent has that one
        # reference only, typed FOLLOWS_FROM.
        refs = sorted(span["references"], key=lambda ref: ref["refType"] != "CHILD_OF")
        return spans.get(refs[0]["spanID"]) if refs else None

    def service(span: dict[str, Any]) -> str:
        return str(found["processes"][span["processID"]]["serviceName"])

    def one(name: str) -> dict[str, Any]:
        named = [s for s in spans.values() if s["operationName"] == name]
        assert len(named) == 1, (
            f"{len(named)} spans {name!r} in {sorted(s['operationName'] for s in spans.values())}"
        )
        return named[0]

    outline = "\n".join(
        f"{s['spanID']} <- {[r['spanID'] for r in s['references']]} {s['operationName']} ({service(s)})"
        for s in sorted(spans.values(), key=lambda s: s["startTime"])
    )
    trigger, run_span = one("ark.trigger"), one("ark.run")
    assert parent(trigger) is None
    assert (service(trigger), service(run_span)) == ("ark-cli", "ark-operator")
    assert parent(run_span) is trigger
    agents = set()
    for step in STEPS:
        task = one(f"ark.task {step}")
        submit = parent(task)
        assert submit is not None, outline
        assert submit["operationName"] == "ark.step.submit"
        assert parent(submit) is run_span
        children = [s for s in spans.values() if parent(s) is task]
        names = sorted(s["operationName"] for s in children)
        wait = next(s for s in children if s["operationName"] == "ark.queue.wait")
        # The wait is the task span's first part; the model calls come after it.
        assert wait["startTime"] == task["startTime"]
        calls = [s for s in children if s["operationName"] == "chat llama3.2"]
        assert calls
        assert all(c["startTime"] >= wait["startTime"] + wait["duration"] for c in calls)
        tags = {t["key"]: t["value"] for t in calls[0]["tags"]}
        assert (tags["gen_ai.system"], tags["gen_ai.request.model"]) == ("openai", "llama3.2")
        if step == "research":
            assert names == ["ark.queue.wait", "ark.tool everything__echo", "chat llama3.2", "chat llama3.2"]
        else:
            assert names == ["ark.queue.wait", "chat llama3.2"]
        agents.add(service(task))
    assert len(agents) == 3
    results = [s for s in spans.values() if s["operationName"] == "ark.step.result"]
    assert len(results) == len(STEPS)
    assert all(parent(s) is run_span for s in results)
    # The trigger, the operator and three agent pods: five processes in one trace.
    assert len({service(s) for s in spans.values()}) == 5
