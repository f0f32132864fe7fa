"""``ark retry RUN [--step NAME]``: run a finished ArkRun again, reusing what succeeded.

A new ArkRun of the same team snapshot and input: the steps that Succeeded keep their recorded
outputs (no model is called for them) and the others run again; with --step, that step and every
step that depends on it run again too. Dynamic and routed runs run again whole. A run still
Pending or Running is refused, and so is a Succeeded run without --step (nothing to retry).
Exit status as `ark trigger`'s; with an OTLP endpoint set, the command opens the run's root span
ark.retry.
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


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``retry`` sub-command."""
    parser = subparsers.add_parser(
        "retry",
        help="re-run the failed steps of an ArkRun (or one step and all after it) as a new ArkRun",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_name", metavar="RUN", help="the finished ArkRun")
    parser.add_argument("--step", metavar="NAME", help="run this step and every step after it again")
    add_follow_flags(parser)
    add_cluster_flags(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Retry ``args.run_name``; return the exit status."""
    from ark.cli.cluster import EXIT_ERROR, run_cluster_command

    stdout = out if out is not None else sys.stdout
    stderr = err if err is not None else sys.stderr

    async def body(cluster: Cluster) -> int:
        from ark.api import ArkRunStatus
        from ark.cli.cluster import follow_hint
        from ark.cli.launch import launch
        from ark.cli.run_state import RunDataError, run_plan
        from ark.cli.trigger_trace import traced_trigger
        from ark.controllers.resources import ARK_RUNS
        from ark.kube.client import NotFound
        from ark.runs.create import retry_run
        from ark.runs.retry import RetryError, reusable_steps

        name = args.run_name
        where = f"ArkRun {cluster.namespace}/{name}"
        try:
            previous = await cluster.get(ARK_RUNS, name)
        except NotFound:
            stderr.write(
                f"ark retry: {where} not found (`ark status -n {cluster.namespace}` lists the runs)\n"
            )
            return EXIT_ERROR
        status = ArkRunStatus.model_validate(previous.get("status") or {})
        phase = status.phase or "Pending"
        if phase not in ("Succeeded", "Failed"):
            stderr.write(
                f"ark retry: {where} is still {phase}: retry it once it has finished "
                f"(`{follow_hint(args, cluster.namespace, name)}` waits for it)\n"
            )
            return EXIT_ERROR
        if phase == "Succeeded" and args.step is None:
            stderr.write(
                f"ark retry: {where} Succeeded: nothing to retry "
                "(--step NAME runs that step and every step after it again)\n"
            )
            return EXIT_ERROR
        try:
            plan = run_plan(previous)
            reuse = reusable_steps(plan, status, args.step)
        except (RunDataError, RetryError) as exc:
            stderr.write(f"ark retry: {exc}\n")
            return EXIT_ERROR
        again = [step.name for step in plan.steps if step.name not in reuse]
        note = (
            f"reusing {', '.join(reuse) or 'no step'}; running again: {', '.join(again)}"
            if plan.steps
            else f"a {plan.mode} run has no steps to reuse: it runs again whole"
        )
        team = str((previous.get("spec") or {}).get("teamRef", {}).get("name", ""))
        with traced_trigger(
            retry_run(previous, reuse, source=cluster.user), team, cluster.namespace, os.environ, "ark.retry"
        ) as body:
            return await launch(cluster, body, args, "ark retry", stdout, stderr, notes=[note])

    return run_cluster_command("retry", args, body, stderr)
