"""Collects the issues of one document while the checks run."""

from __future__ import annotations

from collections.abc import Sequence

from ark.api.issues import Issue, PathItem


class Report:
    """The issues found in one document; paths are relative to the document root."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def error(self, path: Sequence[PathItem], message: str, hint: str = "") -> None:
        """Record something that makes the document invalid."""
        self.issues.append(Issue(tuple(path), message, hint, "error"))

    def warning(self, path: Sequence[PathItem], message: str, hint: str = "") -> None:
        """Record something valid but probably not what the author meant."""
        self.issues.append(Issue(tuple(path), message, hint, "warning"))

    def note(self, path: Sequence[PathItem], message: str, hint: str = "") -> None:
        """Record information, such as a reference to an object outside the input."""
        self.issues.append(Issue(tuple(path), message, hint, "note"))
