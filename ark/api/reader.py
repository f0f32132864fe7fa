"""The one reader of YAML and JSON that come from outside: files, stdin, request bodies, flags,
model output. Everything is read within the bounds of :mod:`ark.api.limits`, and refused with a
:class:`~ark.api.limits.RefusedInput` that names the source and the limit.

* :func:`read_file` / :func:`read_stream`: the text of a file or stream, refusing one over
  :data:`~ark.api.limits.MAX_FILE_BYTES` before reading it (a file by its size; a stream after
  at most that many bytes).
* :func:`load_yaml`: the documents of a YAML (or JSON) text as plain data, with the alias,
  value-count and nesting bounds (``ark validate`` and ``ark run`` use
  :func:`ark.api.source.load_documents`, the same reader that also keeps lines and findings).
* :func:`load_json`: one JSON value, with the size and nesting bounds.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from ark.api.limits import MAX_DEPTH, MAX_FILE_BYTES, LimitExceeded, RefusedInput, check_size


def read_file(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of ``path``; :class:`LimitExceeded` if it is over ``limit`` bytes, ``OSError``
    or ``UnicodeDecodeError`` if it cannot be read."""
    with path.open("rb") as handle:
        check_size(str(path), _size(handle), limit)
        return read_stream(handle, str(path), limit)


def read_stream(stream: IO[bytes] | IO[str], source: str, limit: int = MAX_FILE_BYTES) -> str:
    """The text of ``stream`` (stdin, a request body: UTF-8 if it gives bytes), reading at most
    ``limit + 1`` bytes (or characters, from a text stream)."""
    data = stream.read(limit + 1)
    check_size(source, len(data), limit, known=False)
    return data.decode("utf-8") if isinstance(data, bytes) else data


def _size(handle: IO[bytes]) -> int:
    try:
        return os.fstat(handle.fileno()).st_size
    except (OSError, ValueError):  # not a regular file: the bounded read still applies
        return 0


def load_yaml(text: str, source: str) -> list[Any]:
    """The non-empty documents of ``text`` as plain data; :class:`RefusedInput` for a syntax
    error, a bound exceeded, or a finding that makes a document invalid (a repeated key, nesting
    deeper than :data:`~ark.api.limits.MAX_DEPTH`)."""
    from ark.api.source import load_documents

    check_size(source, len(text.encode("utf-8")))
    documents, problems = load_documents(text, source)
    if problems:
        problem = problems[0]
        raise RefusedInput(f"{problem.file}:{problem.line}:{problem.column}: {problem.message}")
    for document in documents:
        for issue in document.issues:
            if issue.severity == "error":
                line = document.line_of(issue.path)
                raise RefusedInput(f"{source}:{line}: {issue.location}: {issue.message}")
    return [document.data for document in documents]


def load_json(
    text: str | bytes,
    source: str,
    *,
    max_bytes: int = MAX_FILE_BYTES,
    max_depth: int = MAX_DEPTH,
    parse_int: Callable[[str], Any] | None = None,
    parse_constant: Callable[[str], Any] | None = None,
) -> Any:
    """One JSON value; ``json.JSONDecodeError`` if it is not JSON, :class:`LimitExceeded` if it is
    over ``max_bytes`` or nests deeper than ``max_depth`` (both are ``ValueError``)."""
    check_size(source, len(text.encode("utf-8")) if isinstance(text, str) else len(text), max_bytes)
    try:
        value = json.loads(text, parse_int=parse_int, parse_constant=parse_constant)
    except RecursionError:  # the C decoder recurses once per level
        raise _too_deep(source, max_depth) from None
    if isinstance(value, dict | list) and _depth_over(value, max_depth):
        raise _too_deep(source, max_depth)
    return value


def _too_deep(source: str, max_depth: int) -> LimitExceeded:
    return LimitExceeded(source, "JSON nested too deep", f"{max_depth} levels", "flatten it")


def _depth_over(value: Any, max_depth: int) -> bool:
    """Whether the container ``value`` nests containers more than ``max_depth`` levels (iteratively)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        current, depth = stack.pop()
        for child in current.values() if isinstance(current, dict) else current:
            if isinstance(child, dict | list):
                if depth + 1 > max_depth:
                    return True
                stack.append((child, depth + 1))
    return False
