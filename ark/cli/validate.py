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
import sys
from typing import TYPE_CHECKING, TextIO

from ark.cli.kubeconfig import add_cluster_flags

if TYPE_CHECKING:
    from ark.cli.validate_cluster import ClusterLookup


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``validate`` sub-command."""
    parser = subparsers.add_parser(
        "validate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
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


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Validate ``args.paths``; print findings and a summary; return the exit status."""
    from ark.cli.gc_pause import paused_collection

    # Importing the models and checks is a burst of long-lived objects too (gc_pause).
    with paused_collection():
        import json

        from ark.api.loading import load_texts
        from ark.cli.findings import Line, findings, sorted_lines, summary, summary_text
        from ark.cli.sources import read_sources

        stream = out if out is not None else sys.stdout
        texts, unreadable = read_sources(list(args.paths))
        problems = [
            Line(u.path, 0, "", "", "", "error", f"cannot read the file: {u.reason}", "") for u in unreadable
        ]
        result = load_texts(texts)
        lines = problems + findings(result)
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
        lines = sorted_lines(lookup.lines)
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
