"""The queue gauges as Prometheus reads them: one series per stream, agent and budget, no more."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from ark.controllers.queues.metrics import BudgetStat, QueueSample, StreamStat, render_sample
from ark.controllers.queues.sampler import _group


def families(text: bytes) -> dict[str, list[tuple[dict[str, str], float]]]:
    return {
        f.name: [(s.labels, s.value) for s in f.samples]
        for f in text_string_to_metric_families(text.decode())
    }


def test_a_sample_as_prometheus_parses_it() -> None:
    before = families(render_sample(None))
    assert before["ark_stream_pending"] == []
    assert "ark_queue_sample_timestamp_seconds" not in before

    sample = QueueSample(
        taken_at=1700000000.5,
        streams=[StreamStat("ns", "ark:tasks:ns:writer", pending=2, lag=5)],
        dead_letters=[("ns", "writer", 1), ("ns", 'odd"name\\', 0)],
        budgets=[BudgetStat("ns", "team", "desk", limit=100, used=130)],
    )
    got = families(render_sample(sample))
    stream = {"namespace": "ns", "stream": "ark:tasks:ns:writer"}
    assert got["ark_stream_pending"] == [(stream, 2)]
    assert got["ark_stream_lag"] == [(stream, 5)]
    assert got["ark_dead_letters"] == [
        ({"namespace": "ns", "agent": "writer"}, 1),
        ({"namespace": "ns", "agent": 'odd"name\\'}, 0),
    ]
    budget = {"namespace": "ns", "kind": "team", "name": "desk"}
    assert got["ark_budget_limit_tokens"] == [(budget, 100)]
    assert got["ark_budget_remaining_tokens"] == [(budget, -30)]
    assert got["ark_queue_sample_timestamp_seconds"] == [({}, 1700000000.5)]


def test_group_info_from_xinfo_groups() -> None:
    reply = [
        {"name": "other", "pending": 9, "lag": 9},
        {"name": "workers", "pending": 3, "lag": None, "entries-read": None},
    ]
    assert _group(reply, "workers") == (3, None)
    assert _group([{"name": "workers", "pending": 1, "lag": 4}], "workers") == (1, 4)
    assert _group(Exception("ERR no such key"), "workers") == (0, None)
    assert _group([], "workers") == (0, None)
