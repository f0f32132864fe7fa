"""``ark trigger TEAM``: start a run of an ArkTeam in the cluster (an ArkRun, as every trigger creates).

The team is read first and the input resolved against it (declared defaults, legacy spec.input,
then --input): a missing required input or invalid --input JSON is refused before anything is
created. The ArkRun carries the input, a snapshot of the team spec and the trigger
{type: manual, source: <the kubeconfig context's user, else $USER>}.

Exit status: 0 created (with --sync/--watch: Succeeded); 1 the run Failed; 2 nothing was created
(bad input, unknown team, cluster unreachable or refusing); 124 --timeout passed while waiting
(the run goes on); 130 Ctrl-C while waiting (the run goes on).

With OTEL_EXPORTER_OTLP_ENDPOINT set, the command opens the run's root span ark.trigger and
stores its traceparent on the ArkRun, so the run's spans form one trace.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any, TextIO

from ark.cli.follow_flags import add_follow_flags
from ark.cli.kubeconfig import add_cluster_flags

if TYPE_CHECKING:
    from ark.cli.cluster import Cluster

Obj = dict[str, Any]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``trigger`` sub-command."""
    parser = subparsers.add_parser(
        "trigger",
        help="start a run of an ArkTeam in the cluster (creates an ArkRun)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("team", metavar="TEAM", help="the ArkTeam to run")
    parser.add_argument(
        "-i",
        "--input",
        action="append",
        default=[],
        metavar="KEY=VALUE|JSON",
        help="run input: repeat KEY=VALUE, or give a JSON object",
    )
    add_follow_flags(parser)
    add_cluster_flags(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Trigger ``args.team``; return the exit status."""
    from ark.cli.cluster import EXIT_ERROR, run_cluster_command
    from ark.cli.run import parse_inputs
    from ark.flow.inputs import InputError

    stdout = out if out is not None else sys.stdout
    stderr = err if err is not None else sys.stderr
    try:
        given = parse_inputs(args.input)
    except InputError as exc:
        stderr.write(f"ark trigger: {exc}\n")
        return EXIT_ERROR

    async def body(cluster: Cluster) -> int:
        from ark.api.run import RunTrigger
        from ark.cli.launch import launch
        from ark.cli.trigger_trace import traced_trigger
        from ark.runs.create import run_for_team

        team = await read_team(cluster, args.team, "ark trigger", stderr)
        if team is None:
            return EXIT_ERROR
        try:
            new = run_for_team(team, given, RunTrigger(type="manual", source=cluster.user))
        except InputError as exc:
            stderr.write(
                f"ark trigger: ArkTeam {cluster.namespace}/{args.team}: {exc}; nothing was created\n"
            )
            return EXIT_ERROR
        for warning in new.warnings:
            stderr.write(f"ark trigger: warning: {warning}\n")
        with traced_trigger(new.body, args.team, cluster.namespace, os.environ) as body:
            return await launch(cluster, body, args, "ark trigger", stdout, stderr)

    return run_cluster_command("trigger", args, body, stderr)


async def read_team(cluster: Cluster, name: str, prog: str, err: TextIO) -> Obj | None:
    """The ArkTeam ``name``, or None after saying it does not exist (and which teams do)."""
    from ark.api.issues import suggestion
    from ark.controllers.resources import ARK_TEAMS
    from ark.kube.client import NotFound

    try:
        return await cluster.get(ARK_TEAMS, name)
    except NotFound:
        pass
    names = sorted(team["metadata"]["name"] for team in await cluster.list(ARK_TEAMS))
    if names:
        close = suggestion(name, names)
        known = f"ArkTeams there: {', '.join(names)}" + (f"; {close}" if close else "")
    else:
        known = "there are no ArkTeams in that namespace (another one? -n NAMESPACE)"
    err.write(f"{prog}: ArkTeam {cluster.namespace}/{name} not found; {known}\n")
    return None
