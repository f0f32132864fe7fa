"""``ark status [RUN]``: the runs of a namespace, or one run step by step.

Without RUN: every ArkRun of the namespace, newest first (NAME TEAM PHASE STEPS TOKENS DURATION
AGE; --team keeps one team's). With RUN: its team, trigger, phase, duration, tokens and input,
its steps with each delegation hop under the step that delegated it, and its output in full
(outputs too large for the status are read back from the ConfigMaps the run owns).
--watch follows RUN live (as `ark run --watch`, on stderr) until it ends, then prints it.

Exit status: 0 shown (with --watch: the run Succeeded); 1 with --watch, the run Failed;
2 nothing to show (unknown run, cluster unreachable or refusing); 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, TextIO

from ark.cli.kubeconfig import add_cluster_flags

if TYPE_CHECKING:
    from ark.cli.cluster import Cluster


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``status`` sub-command."""
    parser = subparsers.add_parser(
        "status",
        help="show the runs of a namespace, or one run's steps and output",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_name", nargs="?", metavar="RUN", help="one ArkRun (default: list them)")
    parser.add_argument("--team", metavar="TEAM", help="only the runs of this team")
    parser.add_argument("-w", "--watch", action="store_true", help="follow RUN live until it ends")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text", help="output format")
    add_cluster_flags(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Show what ``args`` asks for; return the exit status."""
    from ark.cli.cluster import EXIT_ERROR, run_cluster_command

    stdout = out if out is not None else sys.stdout
    stderr = err if err is not None else sys.stderr
    if args.watch and args.run_name is None:
        stderr.write(
            "ark status: --watch follows one run: ark status RUN --watch "
            "(every run: kubectl get arkruns -w)\n"
        )
        return EXIT_ERROR
    if args.run_name is None:
        return run_cluster_command("status", args, lambda cluster: _list(cluster, args, stdout), stderr)
    return run_cluster_command("status", args, lambda cluster: _one(cluster, args, stdout, stderr), stderr)


async def _list(cluster: Cluster, args: argparse.Namespace, out: TextIO) -> int:
    import json

    from ark.cli.cluster import EXIT_OK
    from ark.cli.status_view import runs_json, runs_table
    from ark.controllers.resources import ARK_RUNS
    from ark.runs.create import TEAM_LABEL, label_value

    selector = f"{TEAM_LABEL}={label_value(args.team)}" if args.team else None
    runs = await cluster.list(ARK_RUNS, label_selector=selector)
    now = time.time()
    if args.output == "json":
        out.write(json.dumps(runs_json(runs, cluster.namespace, now), indent=2) + "\n")
    elif not runs:
        team = f" of team {args.team}" if args.team else ""
        out.write(f"No ArkRuns{team} in namespace {cluster.namespace}.\n")
    else:
        out.write(runs_table(runs, now))
    return EXIT_OK


async def _one(cluster: Cluster, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import json

    from ark.cli.cluster import EXIT_ERROR, EXIT_FAILED, EXIT_OK
    from ark.cli.launch import full_state
    from ark.cli.run_follow import RunFollower, RunView
    from ark.cli.run_state import RunDataError, run_json, run_plan
    from ark.cli.status_view import newest_first, run_detail
    from ark.controllers.resources import ARK_RUNS, ARK_TEAMS
    from ark.kube.client import NotFound

    name = args.run_name
    try:
        obj = await cluster.get(ARK_RUNS, name)
    except NotFound:
        recent = [item["metadata"]["name"] for item in newest_first(await cluster.list(ARK_RUNS))][:5]
        known = f"recent runs: {', '.join(recent)}" if recent else "the namespace has no ArkRuns"
        err.write(f"ark status: ArkRun {cluster.namespace}/{name} not found; {known}\n")
        return EXIT_ERROR
    if args.watch:
        with RunView(err) as view:
            obj = await RunFollower(cluster, name, view).wait()
    team_spec = None
    if not (obj.get("spec") or {}).get("teamSpec"):
        # Not snapshotted yet (a run created by hand): show it with the team it names.
        try:
            team_spec = (await cluster.get(ARK_TEAMS, obj["spec"]["teamRef"]["name"])).get("spec")
        except NotFound:
            team_spec = None
    try:
        plan = run_plan(obj, team_spec)
    except RunDataError as exc:
        err.write(f"ark status: {exc}\n")
        return EXIT_ERROR
    state = await full_state(cluster, obj, "ark status", err, plan)
    if args.output == "json":
        out.write(json.dumps(run_json(obj, state), indent=2) + "\n")
    else:
        out.write(run_detail(obj, state, time.time()))
    if args.watch and state.phase != "Succeeded":
        return EXIT_FAILED
    return EXIT_OK
