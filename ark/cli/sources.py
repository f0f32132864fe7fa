"""The YAML inputs of `ark run` and `ark validate`: files, directories (walked) and ``-`` for stdin."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

YAML_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Unreadable:
    """A path that could not be read, and why (``No such file or directory``, a decode error...)."""

    path: str
    reason: str
    missing: bool


def read_sources(paths: Sequence[str]) -> tuple[list[tuple[str, str]], list[Unreadable]]:
    """``(label, text)`` of every file given, in order, and the paths that could not be read."""
    texts: list[tuple[str, str]] = []
    problems: list[Unreadable] = []
    for raw in paths:
        if raw == "-":
            texts.append(("<stdin>", sys.stdin.read()))
            continue
        path = Path(raw)
        files = (
            sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())
            if path.is_dir()
            else [path]
        )
        for file in files:
            try:
                texts.append((str(file), file.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                problems.append(Unreadable(str(file), reason, isinstance(exc, FileNotFoundError)))
    return texts, problems
