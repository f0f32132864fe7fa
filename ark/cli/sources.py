"""The YAML inputs of `ark run` and `ark validate`: files, directories (walked) and ``-`` for stdin."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ark.api.limits import MAX_INPUT_BYTES, LimitExceeded, size_text
from ark.api.reader import read_file, read_stream

YAML_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Unreadable:
    """A path that could not be read, and why (``No such file or directory``, a decode error...)."""

    path: str
    reason: str
    missing: bool


def read_sources(paths: Sequence[str]) -> tuple[list[tuple[str, str]], list[Unreadable]]:
    """``(label, text)`` of every file given, in order, and the paths that could not be read.

    Each file (and stdin) is read within the bounds of :mod:`ark.api.limits`, and all of them
    within :data:`~ark.api.limits.MAX_INPUT_BYTES`."""
    texts: list[tuple[str, str]] = []
    problems: list[Unreadable] = []
    total = 0
    for raw in paths:
        if raw == "-":
            try:
                texts.append(("<stdin>", read_stream(sys.stdin, "<stdin>")))
            except (LimitExceeded, UnicodeDecodeError) as exc:
                problems.append(Unreadable("<stdin>", _reason(exc), missing=False))
            continue
        path = Path(raw)
        files = (
            sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())
            if path.is_dir()
            else [path]
        )
        for file in files:
            try:
                text = read_file(file)
            except (OSError, UnicodeDecodeError, LimitExceeded) as exc:
                problems.append(Unreadable(str(file), _reason(exc), isinstance(exc, FileNotFoundError)))
                continue
            total += len(text)
            if total > MAX_INPUT_BYTES:
                limit = size_text(MAX_INPUT_BYTES)
                reason = f"the files add up to more than {limit}, the limit for one command (give fewer)"
                problems.append(Unreadable(str(file), reason, missing=False))
                continue
            texts.append((str(file), text))
    return texts, problems


def _reason(exc: Exception) -> str:
    if isinstance(exc, LimitExceeded):
        return exc.reason
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
