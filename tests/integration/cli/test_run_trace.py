"""``ark run --trace`` prints the run's span tree and exports it when an endpoint is set (D165).

The ``ark`` console script runs as users run it (the mock provider: no network but the loopback
OTLP/HTTP receiver, which decodes the real protobuf export requests).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.cli.support import ark
from tests.support.otlp import OtlpReceiver

SAMPLE = str(Path(__file__).resolve().parents[3] / "manifests" / "samples" / "team-dynamic.yaml")
ARGS = ("run", SAMPLE, "--provider", "mock", "--input", '{"task": "My invoice 42 is wrong."}')
LINE = re.compile(r"^(?P<indent>[ │├└─]*)(?P<name>\S+(?: \S+)?)  (?P<ms>\d+\.\d) ms")


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    server = OtlpReceiver()
    server.start()
    yield server
    server.stop()


def _plain_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}


def _untimed(text: str) -> str:
    return re.sub(r"\d+\.\d+ s\b", "- s", text)


def _tree(stderr: str) -> tuple[str, list[tuple[int, str]]]:
    """The trace id of the printed tree and its ``(depth, span name)`` lines."""
    lines = stderr.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("trace "))
    trace_id = lines[start].split()[1].rstrip(",")
    rows = []
    for line in lines[start + 1 :]:
        match = LINE.match(line)
        assert match, f"not a span line: {line!r}"
        rows.append((len(match["indent"]) // 4, match["name"]))
    return trace_id, rows


def test_the_span_tree_is_printed_after_the_result() -> None:
    traced = ark(*ARGS, "--trace", env=_plain_env())
    plain = ark(*ARGS, env=_plain_env())

    assert traced.returncode == 0, traced.stderr
    # The result is unchanged (but for the time it took); the tree is on stderr.
    assert _untimed(traced.stdout) == _untimed(plain.stdout)
    trace_id, rows = _tree(traced.stderr)
    assert re.fullmatch(r"[0-9a-f]{32}", trace_id)
    assert rows[0] == (1, "ark.run")
    assert rows[1] == (2, "ark.task triage")
    # Each delegation is a tool call of the entry role with the delegated task inside it.
    for index, (depth, name) in enumerate(rows):
        if name == "ark.task triage/billing":
            assert rows[index - 1] == (depth - 1, "ark.tool delegate")
    names = {name for _, name in rows}
    assert {"chat mock", "ark.tool delegate", "ark.task triage/billing", "ark.task triage/tech/docs"} <= names


def test_with_an_endpoint_the_spans_are_exported_too(receiver: OtlpReceiver) -> None:
    env = {**_plain_env(), "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_BSP_SCHEDULE_DELAY": "60000"}
    traced = ark(*ARGS, "--trace", env=env)

    assert traced.returncode == 0, traced.stderr
    trace_id, rows = _tree(traced.stderr)
    assert traced.stderr.splitlines()[0] == f"trace {trace_id}, exported to {receiver.url}"
    # Exported at exit although the batch delay is a minute: the command flushed them.
    spans = receiver.spans()
    assert sorted(s.name for s in spans) == sorted(name for _, name in rows)
    assert {(s.service, s.trace_id) for s in spans} == {("ark-run", trace_id)}
    (root,) = [s for s in spans if s.name == "ark.run"]
    assert root.parent_span_id == ""
    assert root.attributes["ark.team"] == "support-desk"

    untraced = ark(*ARGS, env=env)
    assert untraced.returncode == 0, untraced.stderr
    assert "trace " not in untraced.stderr
    assert len({s.trace_id for s in receiver.spans()}) == 2
