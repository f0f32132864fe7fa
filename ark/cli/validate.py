"""``ark validate FILE|DIR|- ...``: check ark YAML without a cluster.

Every problem is one line, ``file:line: Kind/name: spec.path[2].field: reason (what to do)``;
warnings and notes (references to objects not among the files) say so after the path. A
summary line ends the output. --check-agents looks the noted objects up in the cluster (as
kubectl finds it: --kubeconfig, --context, -n): found ones are listed on an `Agents ok (...)`
line, missing ones become errors. Exit status: 1 if any error, 2 if the cluster could not be
asked, else 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from ark.api.issues import Issue
from ark.api.loading import InputSet, LoadedDocument, load_texts
from ark.cli.kubeconfig import add_cluster_flags
from ark.cli.sources import read_sources

if TYPE_CHECKING:
    from ark.cli.validate_cluster import ClusterLookup


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


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``validate`` sub-command."""
    parser = subparsers.add_parser(
        "validate",
        help="check ark YAML files (all kinds) without a cluster",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths", nargs="+", metavar="FILE|DIR|-", help="files, directories (recursive) or - for stdin"
    )
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text", help="output format")
    parser.add_argument(
        "--check-agents",
        action="store_true",
        help="look up in the cluster the objects referenced but not among the files",
    )
    add_cluster_flags(parser)
    parser.set_defaults(func=run)


def _collect(paths: list[str]) -> tuple[list[tuple[str, str]], list[Line]]:
    texts, unreadable = read_sources(paths)
    problems = [
        Line(u.path, 0, "", "", "", "error", f"cannot read the file: {u.reason}", "") for u in unreadable
    ]
    return texts, problems


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


def _sorted(lines: list[Line]) -> list[Line]:
    order = {"error": 0, "warning": 1, "note": 2}
    return sorted(lines, key=lambda item: (item.file, item.line, order[item.severity]))


def findings(result: InputSet) -> list[Line]:
    """Every issue of ``result`` as output lines, sorted by file and line."""
    lines = [
        Line(p.file, p.line, "", "", "", "error", p.message + f" (column {p.column})", "")
        for p in result.syntax_problems
    ]
    lines += [issue_line(doc, issue) for doc in result.documents for issue in doc.issues]
    return _sorted(lines)


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


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Validate ``args.paths``; print findings and a summary; return the exit status."""
    stream = out if out is not None else sys.stdout
    texts, unreadable = _collect(list(args.paths))
    result = load_texts(texts)
    lines = unreadable + findings(result)
    lookup: ClusterLookup | None = None
    if args.check_agents:
        from ark.cli.cluster import ClusterError
        from ark.cli.kubeconfig import ConfigError
        from ark.cli.validate_cluster import check_in_cluster

        try:
            lookup = check_in_cluster(args, result, lines)
        except (ConfigError, ClusterError) as exc:
            (err if err is not None else sys.stderr).write(f"ark validate: --check-agents: {exc}\n")
            return 2
        lines = _sorted(lookup.lines)
    counts = summary(result, lines, len(texts) + len(unreadable))
    if args.output == "json":
        payload = {**counts, "issues": [line.__dict__ for line in lines]}
        if lookup is not None:
            payload["cluster"] = lookup.json()
        stream.write(json.dumps(payload, indent=2) + "\n")
    else:
        for line in lines:
            stream.write(line.text() + "\n")
        if lookup is not None:
            stream.write(lookup.text() + "\n")
        stream.write(summary_text(counts) + "\n")
    return 0 if counts["ok"] else 1
