"""Shared data for template tests: shaped like a run context, numbers as JSON gives them."""

from __future__ import annotations

import json
from typing import Any

import pytest

_DATA = {
    "s": "hello",
    "e": "",
    "n": 3,
    "f": 2.5,
    "z": 0,
    "t": True,
    "fa": False,
    "nil": None,
    "l": [1, "a", None, 2.5, True],
    "el": [],
    "m": {"b": 2, "a": 1, "c": {"d": "deep"}},
    "em": {},
    "u": "héllo wörld",
    "big": 1000000,
    "small": 0.00001,
    "neg": -4.5,
    "input": {"dish": "soup", "diet": "vegan"},
    "steps": {
        "chef": {"output": "ok", "data": {"steps": [1, 2, 3], "score": 7.5, "name": "x"}},
        "critic": {"output": "fine"},
    },
}


@pytest.fixture
def data() -> dict[str, Any]:
    """The context as it arrives from JSON: every number is a float (Go's float64)."""
    loaded: dict[str, Any] = json.loads(json.dumps(_DATA), parse_int=float)
    return loaded
