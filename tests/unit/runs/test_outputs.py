"""Which outputs stay in an ArkRun's status and which go to ConfigMaps, and the ConfigMap encoding."""

from __future__ import annotations

from ark.api.run import ArkRunStatus, OutputRef, StepStatus
from ark.runs.outputs import (
    INLINE_BUDGET_BYTES,
    INLINE_MAX_BYTES,
    PART_CHARS,
    PREVIEW_CHARS,
    RUN_OUTPUT,
    decode_parts,
    digest_of,
    encode_parts,
    known_refs,
    prefix_for,
    shrink,
)


def _status(*outputs: str, run_output: str | None = None) -> ArkRunStatus:
    steps = [StepStatus(name=f"s{i}", phase="Succeeded", output=o) for i, o in enumerate(outputs)]
    return ArkRunStatus(phase="Succeeded", steps=steps, output=run_output)


def test_small_outputs_stay_in_the_status() -> None:
    status = _status("a", "b" * 100, run_output="ab")
    shrunk, pending = shrink(status, {})
    assert shrunk == status
    assert pending == []


def test_a_large_output_goes_out_with_a_preview_and_a_ref_once_written() -> None:
    big = "x" * (INLINE_MAX_BYTES + 1)
    status = _status("small", big)
    status.steps[1].output_json = '"x"'  # type: ignore[index]
    shrunk, pending = shrink(status, {})
    assert [(p.step, p.output, p.output_json) for p in pending] == [("s1", big, '"x"')]
    step = shrunk.steps[1]  # type: ignore[index]
    assert step.output.startswith("x" * PREVIEW_CHARS)  # type: ignore[union-attr]
    assert step.output.endswith(f"[{len(big)} characters in all; `ark status` shows the whole output]")  # type: ignore[union-attr]
    assert (step.output_json, step.output_ref) == (None, None)
    ref = OutputRef(name=prefix_for("run", pending[0].digest), parts=1, size=len(big))
    again, left = shrink(status, {pending[0].digest: ref})
    assert left == []
    assert again.steps[1].output_ref == ref  # type: ignore[index]
    assert again.steps[0].output == "small"  # type: ignore[index]


def test_the_budget_covers_every_step_together() -> None:
    each = INLINE_MAX_BYTES  # inline on its own, but not all of them together
    count = INLINE_BUDGET_BYTES // each + 3
    status = _status(*(chr(65 + i % 26) * each for i in range(count)))
    shrunk, pending = shrink(status, {})
    inline = [s for s in shrunk.steps or () if s.output and len(s.output) == each]
    assert len(inline) == INLINE_BUDGET_BYTES // each
    assert len(pending) == count - len(inline)
    assert [p.step for p in pending] == [f"s{i}" for i in range(len(inline), count)]


def test_the_run_output_follows_the_same_rule() -> None:
    big = "y" * (INLINE_MAX_BYTES + 5)
    shrunk, pending = shrink(_status("a", run_output=big), {})
    assert [p.step for p in pending] == [RUN_OUTPUT]
    assert shrunk.output is not None
    assert shrunk.output.startswith("y" * 10)


def test_parts_round_trip_and_stay_under_the_configmap_limit() -> None:
    text = "é" * (PART_CHARS * 2 + 17) + '"\\\n'
    parts = encode_parts(text, '{"k": 1}')
    assert len(parts) == 3
    assert all(len(p.encode()) < 1024 * 1024 - 1024 for p in parts)
    assert decode_parts(parts) == (text, '{"k": 1}')
    assert decode_parts(encode_parts("", None)) == ("", None)


def test_the_same_content_has_the_same_names() -> None:
    assert digest_of("a", None) == digest_of("a", None) != digest_of("a", "a")
    ref = OutputRef(name=prefix_for("run-x", "0123456789ab"), parts=2, size=5)
    status = ArkRunStatus(steps=[StepStatus(name="s", output="p", output_ref=ref)])
    assert known_refs(status) == {"0123456789ab": ref}
