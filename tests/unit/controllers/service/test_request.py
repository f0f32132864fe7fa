"""The body of POST /v1/tasks and the Host header that names the ArkService."""

from __future__ import annotations

import pytest

from ark.api.shared import MAX_PROMPT_CHARS
from ark.controllers.service.request import BadTask, TaskRequest, host_target, parse_task


def test_a_prompt_with_and_without_a_timeout() -> None:
    assert parse_task(b'{"prompt": "Summarise the report"}') == TaskRequest("Summarise the report", 60.0)
    assert parse_task(b'{"prompt": "x", "timeoutSeconds": 2.5}') == TaskRequest("x", 2.5)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "the body is not JSON"),
        (b"{not json", "the body is not JSON"),
        (b"\xff\xfe", "the body is not UTF-8"),
        (b'["prompt"]', "must be a JSON object"),
        (b"{}", "prompt: required"),
        (b'{"prompt": 3}', "prompt: must be a string, not int"),
        (b'{"prompt": "  "}', "prompt: must not be empty"),
        (b'{"prompt": "x", "promt": "y"}', "unknown field 'promt'; the fields are prompt, timeoutSeconds"),
        (b'{"prompt": "x", "timeoutSeconds": "60"}', "timeoutSeconds: must be a number of seconds"),
        (b'{"prompt": "x", "timeoutSeconds": true}', "timeoutSeconds: must be a number of seconds"),
        (b'{"prompt": "x", "timeoutSeconds": 0}', "timeoutSeconds: must be between 1 and 300, got 0"),
        (b'{"prompt": "x", "timeoutSeconds": 301}', "timeoutSeconds: must be between 1 and 300"),
    ],
)
def test_bad_bodies_name_the_field_and_the_reason(body: bytes, message: str) -> None:
    with pytest.raises(BadTask, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_task(body)


def test_a_prompt_over_the_cap_is_refused() -> None:
    body = ('{"prompt": "' + "a" * (MAX_PROMPT_CHARS + 1) + '"}').encode()
    with pytest.raises(BadTask, match=f"more than the {MAX_PROMPT_CHARS} allowed"):
        parse_task(body)


@pytest.mark.parametrize(
    ("host", "target"),
    [
        ("research", ("", "research")),
        ("research:8080", ("", "research")),
        ("research.team-a", ("team-a", "research")),
        ("research.team-a.svc:80", ("team-a", "research")),
        ("Research.Team-A.svc.cluster.local.", ("team-a", "research")),
        ("10.0.0.7:80", None),
        ("[::1]:8093", None),
        ("research.example.com", None),
        ("", None),
    ],
)
def test_the_host_names_the_service(host: str, target: tuple[str, str] | None) -> None:
    assert host_target(host) == target
