"""``ark submit --team TEAM TEXT``: send a task to a dynamic team's entry role (an ArkRun, trigger submit).

The run's input is {"task": TEXT}; the entry role receives it and delegates as it sees fit. Only
Dynamic and Mixed teams take submitted tasks: a pipeline or routed team is refused (trigger it
with `ark trigger TEAM --input ...`). Exit status as `ark trigger`'s; with an OTLP endpoint set,
the command opens the run's root span ark.submit.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, TextIO

from ark.cli.follow_flags import add_follow_flags
from ark.cli.kubeconfig import add_cluster_flags

if TYPE_CHECKING:
    from ark.cli.cluster import Cluster

SUBMIT_MODES = ("Dynamic", "Mixed")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``submit`` sub-command."""
    parser = subparsers.add_parser(
        "submit",
        help="send a task to a dynamic team's entry role in the cluster (creates an ArkRun)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--team", required=True, metavar="TEAM", help="the dynamic (or mixed) ArkTeam")
    parser.add_argument("text", metavar="TEXT", help="the task")
    add_follow_flags(parser)
    add_cluster_flags(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Submit ``args.text`` to ``args.team``; return the exit status."""
    from ark.cli.cluster import EXIT_ERROR, run_cluster_command

    stdout = out if out is not None else sys.stdout
    stderr = err if err is not None else sys.stderr
    if not args.text.strip():
        stderr.write("ark submit: the task TEXT is empty\n")
        return EXIT_ERROR

    async def body(cluster: Cluster) -> int:
        from pydantic import ValidationError

        from ark.api.run import RunTrigger
        from ark.cli.launch import launch
        from ark.cli.trigger import read_team
        from ark.cli.trigger_trace import traced_trigger
        from ark.flow.inputs import InputError
        from ark.runs.create import run_for_team, team_spec_of

        team = await read_team(cluster, args.team, "ark submit", stderr)
        if team is None:
            return EXIT_ERROR
        where = f"ArkTeam {cluster.namespace}/{args.team}"
        try:
            mode = team_spec_of(team).mode
        except ValidationError as exc:
            stderr.write(f"ark submit: {where} has an invalid spec: {exc}\n")
            return EXIT_ERROR
        if mode not in SUBMIT_MODES:
            stderr.write(
                f"ark submit: {where} is a {mode} team: it has no entry role to take a task; "
                f"start it with `ark trigger {args.team} --input KEY=VALUE` instead\n"
            )
            return EXIT_ERROR
        try:
            new = run_for_team(team, {"task": args.text}, RunTrigger(type="submit", source=cluster.user))
        except InputError as exc:
            stderr.write(f"ark submit: {where}: {exc}; nothing was created\n")
            return EXIT_ERROR
        for warning in new.warnings:
            stderr.write(f"ark submit: warning: {warning}\n")
        with traced_trigger(new.body, args.team, cluster.namespace, os.environ, "ark.submit") as body:
            return await launch(cluster, body, args, "ark submit", stdout, stderr)

    return run_cluster_command("submit", args, body, stderr)
