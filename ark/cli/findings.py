"""What ``ark validate`` reports: every issue of an input set as one line, and the summary."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from ark.api.issues import Issue
from ark.api.loading import InputSet, LoadedDocument

SEVERITIES = ("error", "warning", "note")


@dataclass(frozen=True)
class Line:
    """One reported finding, flattened for output."""

    file: str
    line: int
    kind: str
    name: str
    path: str
    severity: str
    message: str
    hint: str

    def text(self) -> str:
        """The one-line human form."""
        parts = [f"{self.file}:{self.line}:"]
        if self.kind:
            parts.append(f"{self.kind}/{self.name}:")
        if self.path:
            parts.append(f"{self.path}:")
        if self.severity != "error":
            parts.append(f"{self.severity}:")
        parts.append(self.message + (f" ({self.hint})" if self.hint else ""))
        return " ".join(parts)


def findings(result: InputSet, severities: Collection[str] = SEVERITIES) -> list[Line]:
    """Every issue of ``result`` of the given severities as output lines, sorted by file and line
    (a line costs a second reading of its document, so ask only for what will be shown)."""
    lines = [
        Line(p.file, p.line, "", "", "", "error", p.message + f" (column {p.column})", "")
        for p in result.syntax_problems
    ]
    lines += [
        issue_line(doc, issue)
        for doc in result.documents
        for issue in doc.issues
        if issue.severity in severities
    ]
    return sorted_lines(lines)


def issue_line(doc: LoadedDocument, issue: Issue) -> Line:
    """The output line of one issue of ``doc``."""
    return Line(
        file=doc.source.file,
        line=doc.line_of(issue.path),
        kind=doc.kind,
        name=doc.name,
        path=issue.location,
        severity=issue.severity,
        message=issue.message,
        hint=issue.hint,
    )


def sorted_lines(lines: list[Line]) -> list[Line]:
    """``lines`` by file, line, then severity."""
    order = {"error": 0, "warning": 1, "note": 2}
    return sorted(lines, key=lambda item: (item.file, item.line, order[item.severity]))


def summary(result: InputSet, lines: list[Line], files: int) -> dict[str, Any]:
    """Counts for the summary line and the JSON output."""
    counts = {
        severity: sum(1 for line in lines if line.severity == severity)
        for severity in ("error", "warning", "note")
    }
    return {
        "ok": counts["error"] == 0,
        "files": files,
        "documents": len(result.documents),
        "objects": sum(1 for doc in result.documents if doc.ours),
        "errors": counts["error"],
        "warnings": counts["warning"],
        "unresolved": counts["note"],
    }


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_text(counts: dict[str, Any]) -> str:
    """The final human line, e.g. ``12 documents in 3 files: 2 errors, 1 warning, 1 unresolved reference``."""
    head = f"{_plural(counts['documents'], 'document')} in {_plural(counts['files'], 'file')}"
    others = counts["documents"] - counts["objects"]
    if others:
        head += f" ({others} of other kinds, skipped)"
    tail = [_plural(counts["errors"], "error"), _plural(counts["warnings"], "warning")]
    if counts["unresolved"]:
        tail.append(_plural(counts["unresolved"], "unresolved reference"))
    verdict = "valid" if counts["ok"] else "invalid"
    return f"{verdict}: {head}: {', '.join(tail)}"
