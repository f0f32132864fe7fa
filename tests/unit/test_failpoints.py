"""Failpoint specifications (the crash tests set them in the operator's environment)."""

from __future__ import annotations

import pytest

from ark.failpoints import _parse


def test_kill_on_the_first_or_the_nth_hit() -> None:
    assert _parse("run.a=kill, run.b=kill@3") == {"run.a": 1, "run.b": 3}
    assert _parse("") == {}


@pytest.mark.parametrize("text", ["run.a=sleep", "run.a=kill@x", "run.a"])
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not NAME=kill or NAME=kill@N"):
        _parse(text)
