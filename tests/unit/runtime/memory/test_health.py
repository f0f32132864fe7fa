"""Agent pods' memory reports, as the operator reads them back: oldest first, bounded, and a
malformed field never hides the others."""

from __future__ import annotations

import json

from ark_runtime.memory.health import MAX_MESSAGE_CHARS, MAX_REPORTS, Report, health_key, parse_reports


def field(reason: str, message: str, at: float) -> bytes:
    return json.dumps({"reason": reason, "message": message, "at": at}).encode()


def test_the_key_names_the_namespace_and_the_memory() -> None:
    assert health_key("team-a", "notes") == "ark:memory-health:team-a/notes"


def test_reports_come_back_oldest_first_with_pod_and_kind() -> None:
    reports = parse_reports(
        {
            b"pod-b/write": field("Unreachable", "cannot reach qdrant", 20.0),
            b"pod-a/recall": field("DimensionMismatch", "holds 4-dimensional vectors", 10.0),
        }
    )
    assert reports == [
        Report("pod-a", "recall", "DimensionMismatch", "holds 4-dimensional vectors", 10.0),
        Report("pod-b", "write", "Unreachable", "cannot reach qdrant", 20.0),
    ]


def test_a_pod_name_with_a_slash_keeps_the_kind_last() -> None:
    (report,) = parse_reports({"a/b/upkeep": field("BackendError", "x", 1)})
    assert (report.pod, report.kind) == ("a/b", "upkeep")


def test_malformed_fields_are_skipped() -> None:
    reports = parse_reports(
        {
            b"pod/recall": b"not json",
            b"pod/write": json.dumps({"reason": "BackendError"}).encode(),
            b"\xff/recall": field("BackendError", "x", 1),
            b"pod/upkeep": json.dumps({"reason": "X", "message": "m", "at": "soon"}).encode(),
            b"ok/recall": field("BackendError", "kept", 2),
        }
    )
    assert [r.message for r in reports] == ["kept"]


def test_reading_is_bounded_in_count_and_message_size() -> None:
    many = {f"pod-{i}/recall".encode(): field("BackendError", "m" * 5000, i) for i in range(MAX_REPORTS + 10)}
    reports = parse_reports(many)
    assert len(reports) == MAX_REPORTS
    assert all(len(r.message) == MAX_MESSAGE_CHARS for r in reports)
