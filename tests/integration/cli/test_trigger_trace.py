"""``ark trigger``, ``ark submit`` and ``ark retry`` open the run's root span and store its context
on the ArkRun (D94, D160).

The command runs as a user runs it, exporting to a loopback OTLP/HTTP receiver that decodes the
real protobuf export requests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from ark.kube.client import KubeClient
from ark.runs.trace_context import TRACEPARENT_ANNOTATION
from tests.conftest import Kubectl
from tests.integration.cli.support import ark
from tests.integration.cli.test_submit_retry import finished_run
from tests.support.otlp import OtlpReceiver

pytestmark = [pytest.mark.cluster, pytest.mark.usefixtures("teams")]


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    server = OtlpReceiver()
    server.start()
    yield server
    server.stop()


def test_the_arkrun_carries_the_traceparent_of_the_exported_trigger_span(
    env: dict[str, str], kubectl: Kubectl, namespace: str, receiver: OtlpReceiver
) -> None:
    traced = {**env, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_BSP_SCHEDULE_DELAY": "60000"}
    result = ark("trigger", "planner", "--input", "dish=soup", env=traced)

    assert result.returncode == 0, result.stderr
    name = result.stdout.strip().removeprefix("arkrun.arkonis.dev/").removesuffix(" created")
    run = json.loads(kubectl("get", "arkrun", name, "-n", namespace, "-o", "json").stdout)
    _, trace_id, span_id, flags = run["metadata"]["annotations"][TRACEPARENT_ANNOTATION].split("-")
    # The spans were exported at exit (the batch delay is a minute): the command flushed them.
    (span,) = receiver.spans()
    assert (span.name, span.service, span.parent_span_id) == ("ark.trigger", "ark-cli", "")
    assert (span.trace_id, span.span_id) == (trace_id, span_id)
    assert int(flags, 16) & 1  # sampled
    assert span.attributes == {"ark.team": "planner", "ark.namespace": namespace}


def test_without_an_otlp_endpoint_the_arkrun_has_no_traceparent(
    env: dict[str, str], kubectl: Kubectl, namespace: str
) -> None:
    plain = {k: v for k, v in env.items() if not k.startswith("OTEL_")}
    result = ark("trigger", "planner", "--input", "dish=soup", env=plain)

    assert result.returncode == 0, result.stderr
    name = result.stdout.strip().removeprefix("arkrun.arkonis.dev/").removesuffix(" created")
    run = json.loads(kubectl("get", "arkrun", name, "-n", namespace, "-o", "json").stdout)
    assert TRACEPARENT_ANNOTATION not in (run["metadata"].get("annotations") or {})


def _annotation(kubectl: Kubectl, namespace: str, name: str) -> tuple[str, str]:
    run = json.loads(kubectl("get", "arkrun", name, "-n", namespace, "-o", "json").stdout)
    _, trace_id, span_id, _ = run["metadata"]["annotations"][TRACEPARENT_ANNOTATION].split("-")
    return trace_id, span_id


async def test_submit_and_retry_open_the_root_span_of_their_runs(
    env: dict[str, str], kube: KubeClient, kubectl: Kubectl, namespace: str, receiver: OtlpReceiver
) -> None:
    traced = {**env, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url}
    failed = await finished_run(env, kube, namespace, "Failed")
    submitted = ark("submit", "--team", "desk", "The printer is on fire", env=traced)
    assert submitted.returncode == 0, submitted.stderr
    retried = ark("retry", failed, env=traced)
    assert retried.returncode == 0, retried.stderr

    names = {
        out.stdout.strip().removeprefix("arkrun.arkonis.dev/").removesuffix(" created"): span
        for out, span in ((submitted, "ark.submit"), (retried, "ark.retry"))
    }
    by_name = {span.name: span for span in receiver.spans()}
    assert sorted(by_name) == ["ark.retry", "ark.submit"]
    for run, span_name in names.items():
        span = by_name[span_name]
        assert (span.trace_id, span.span_id) == _annotation(kubectl, namespace, run)
        assert (span.service, span.parent_span_id) == ("ark-cli", "")
    assert by_name["ark.submit"].attributes == {"ark.team": "desk", "ark.namespace": namespace}
    assert by_name["ark.retry"].attributes == {"ark.team": "planner", "ark.namespace": namespace}
    # The retried run was not traced: the new run starts a trace of its own.
    assert TRACEPARENT_ANNOTATION not in (
        json.loads(kubectl("get", "arkrun", failed, "-n", namespace, "-o", "json").stdout)["metadata"].get(
            "annotations"
        )
        or {}
    )
