"""Retry decisions, the Task/Result stream-entry round trip, and secret masking in logs."""

from __future__ import annotations

import json
import logging
import random
from email.utils import formatdate

import pytest

from ark_runtime.logs import JsonFormatter, secret_values
from ark_runtime.protocol import ProtocolError, Result, Task, delegation_path, reply_stream, task_id
from ark_runtime.providers.retry import backoff_seconds, is_retryable_status, retry_after_seconds, should_stop
from ark_runtime.queue.budget import tokens_of, usage_member


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (429, True),
        (500, True),
        (503, True),
        (529, True),
        (408, True),
        (400, False),
        (401, False),
        (404, False),
        (422, False),
    ],
)
def test_which_statuses_are_retried(status: int, retry: bool) -> None:
    assert is_retryable_status(status) is retry


def test_retry_after_forms() -> None:
    assert retry_after_seconds({"Retry-After": "3"}, now=0) == 3.0
    assert retry_after_seconds({"retry-after-ms": "250", "Retry-After": "9"}, now=0) == 0.25
    assert retry_after_seconds(
        {"Retry-After": formatdate(1000 + 30, usegmt=True)}, now=1000
    ) == pytest.approx(30, abs=1)
    assert retry_after_seconds({"Retry-After": "soon"}, now=0) is None
    assert retry_after_seconds({}, now=0) is None


def test_backoff_honours_retry_after_else_grows_with_jitter() -> None:
    assert backoff_seconds(1, 7.0) == 7.0
    rng = random.Random(1)
    waits = [backoff_seconds(n, None, rng) for n in range(1, 8)]
    assert all(0.25 <= w <= 20 for w in waits)
    assert waits[5] > waits[0]


def test_stop_when_attempts_are_used_or_the_wait_passes_the_deadline() -> None:
    assert should_stop(1, 0.5, remaining=10) == ""
    assert "6 attempts" in should_stop(6, 0.5, remaining=None)
    assert "pass the task deadline" in should_stop(2, 30, remaining=5)


def test_task_and_result_round_trip_through_stream_fields() -> None:
    task = Task(
        id=task_id("uid-1", "writer", 2),
        run="uid-1",
        step="writer",
        prompt="line 1\nline 2",
        kind="delegate",
        output_schema='{"type":"object"}',
        max_tokens=10,
        deadline_ms=123,
        attempt=2,
        reply_to=reply_stream("ns", "uid-1.lead.1"),
        parent="uid-1.lead.1",
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        path="lead/writer",
    )
    fields = task.to_fields()
    assert all(isinstance(v, str) for v in fields.values())
    assert Task.from_fields(fields) == task
    assert delegation_path(task) == ("lead", "writer")
    assert delegation_path(Task(id="i", run="r", step="solo", prompt="p")) == ("solo",)
    result = Result(
        id=task.id,
        run="uid-1",
        step="writer",
        status="ok",
        output="x",
        input_tokens=3,
        output_tokens=4,
        consumer="pod",
    )
    assert Result.from_fields(result.to_fields()) == result
    assert result.total_tokens == 7


def test_malformed_entries_name_the_field() -> None:
    with pytest.raises(ProtocolError, match="'prompt'"):
        Task.from_fields({"id": "i", "run": "r", "step": "s"})
    with pytest.raises(ProtocolError, match="'attempt' must be an integer"):
        Task.from_fields({"id": "i", "run": "r", "step": "s", "prompt": "p", "attempt": "two"})


def test_budget_members_carry_the_tokens() -> None:
    result = Result(id="run.s.1", run="run", step="s", status="ok", input_tokens=10, output_tokens=5)
    assert usage_member(result) == "run.s.1:15"
    assert tokens_of("run.s.1:15") == 15
    assert tokens_of("garbage") == 0


def test_logs_are_json_and_never_show_secrets() -> None:
    env = {"ANTHROPIC_API_KEY": "sk-ant-SECRET123", "OPENAI_API_KEY": ""}
    formatter = JsonFormatter(secret_values(env, ["Bearer kb-token-9"]))
    record = logging.makeLogRecord(
        {
            "name": "t",
            "levelname": "ERROR",
            "msg": "call failed with key sk-ant-SECRET123",
            "header": "Bearer kb-token-9",
            "task_id": "x",
        }
    )
    line = formatter.format(record)
    entry = json.loads(line)
    assert entry["msg"] == "call failed with key ***"
    assert entry["header"] == "***"
    assert entry["task_id"] == "x"
    assert entry["level"] == "error"
    assert "SECRET123" not in line
    assert "kb-token-9" not in line


def test_the_memory_redis_password_is_masked_too() -> None:
    env = {"AGENT_MEMORY_REDIS_URL": "redis://:hunter2-pw@memory:6379/0"}
    assert secret_values(env) == ["hunter2-pw"]
    assert secret_values({"AGENT_MEMORY_REDIS_URL": "memory:6379"}) == []
    line = JsonFormatter(secret_values(env)).format(logging.makeLogRecord({"msg": "auth hunter2-pw failed"}))
    assert "hunter2" not in line
