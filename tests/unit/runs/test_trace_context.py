import pytest

from ark.runs.trace_context import TRACEPARENT_ANNOTATION, stored_traceparent, with_traceparent

PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_annotates_a_copy_and_keeps_other_annotations() -> None:
    body = {"kind": "ArkRun", "metadata": {"generateName": "t-", "annotations": {"a": "b"}}}
    annotated = with_traceparent(body, PARENT)
    assert annotated["metadata"]["annotations"] == {"a": "b", TRACEPARENT_ANNOTATION: PARENT}
    assert body["metadata"]["annotations"] == {"a": "b"}


def test_annotates_a_body_without_annotations() -> None:
    assert stored_traceparent(with_traceparent({"metadata": {}}, PARENT)) == PARENT


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        PARENT + "-extra",
    ],
)
def test_refuses_and_ignores_malformed_values(bad: str) -> None:
    with pytest.raises(ValueError, match="not a W3C traceparent"):
        with_traceparent({}, bad)
    assert stored_traceparent({"metadata": {"annotations": {TRACEPARENT_ANNOTATION: bad}}}) == ""


def test_nothing_stored_without_the_annotation() -> None:
    assert stored_traceparent({"metadata": {"name": "r"}}) == ""
    assert stored_traceparent({}) == ""
