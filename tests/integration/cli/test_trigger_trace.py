"""``ark trigger`` opens the run's root span and stores its context on the ArkRun (D94).

The command runs as a user runs it, exporting to a loopback OTLP/HTTP receiver that decodes the
real protobuf export requests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from ark.runs.trace_context import TRACEPARENT_ANNOTATION
from tests.conftest import Kubectl
from tests.integration.cli.support import ark
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
