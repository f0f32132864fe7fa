"""What ``ark trigger``, ``submit`` and ``retry`` share: create the ArkRun, then maybe wait for it.

Interface::

    code = await launch(cluster, body, args, "ark trigger", out, err)
    code = await await_run(cluster, name, args, "ark status", out, err, timeout=None)   # --watch of status
    state = await full_state(cluster, run, prog, err)      # full outputs read back from ConfigMaps

Without ``--watch``/``--sync`` the command prints ``arkrun.arkonis.dev/<name> created`` (kubectl's
line; on stderr with ``-o json``, which prints the run as created) and exits 0. ``--sync`` waits
for Succeeded or Failed and prints the result as ``ark run`` does; ``--watch`` also shows
``ark run --watch``'s live view on stderr while waiting. Exit status: 0 Succeeded, 1 Failed,
2 nothing was created, 124 ``--timeout`` passed (the run goes on), 130 Ctrl-C (the run goes on).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from ark.cli.duration import human_duration

if TYPE_CHECKING:
    from ark.cli.cluster import Cluster
    from ark.flow.plan import RunPlan
    from ark.flow.state import RunState

Obj = dict[str, Any]


async def launch(
    cluster: Cluster,
    body: Obj,
    args: argparse.Namespace,
    prog: str,
    out: TextIO,
    err: TextIO,
    notes: Sequence[str] = (),
) -> int:
    """Create the ArkRun ``body``; print it (and ``notes`` on stderr); with ``--sync``/``--watch`` wait."""
    from ark.cli.cluster import EXIT_OK
    from ark.cli.run_state import run_json, run_plan, run_state
    from ark.controllers.resources import ARK_RUNS

    created = await cluster.create(ARK_RUNS, body)
    name = created["metadata"]["name"]
    stream = err if args.output == "json" else out
    stream.write(f"arkrun.arkonis.dev/{name} created\n")
    stream.flush()
    for note in notes:
        err.write(f"{prog}: {note}\n")
    if args.watch or args.sync:
        return await await_run(cluster, name, args, prog, out, err, timeout=args.timeout)
    if args.output == "json":
        out.write(json.dumps(run_json(created, run_state(created, run_plan(created))), indent=2) + "\n")
    return EXIT_OK


async def await_run(
    cluster: Cluster,
    name: str,
    args: argparse.Namespace,
    prog: str,
    out: TextIO,
    err: TextIO,
    *,
    timeout: float | None,
) -> int:
    """Wait for run ``name`` to end (showing it live with ``args.watch``); print the result; exit by phase."""
    from ark.cli.cluster import EXIT_FAILED, EXIT_OK, EXIT_TIMEOUT, follow_hint
    from ark.cli.run_follow import RunFollower, RunView
    from ark.cli.run_state import run_json
    from ark.cli.run_view import failure_line, result_text

    view = RunView(err) if args.watch else None
    follower = RunFollower(cluster, name, view)
    hint = follow_hint(args, cluster.namespace, name)
    try:
        with view if view is not None else contextlib.nullcontext():
            try:
                async with asyncio.timeout(timeout):
                    run = await follower.wait()
            except TimeoutError:
                phase = ((follower.last or {}).get("status") or {}).get("phase") or "Pending"
                waiting = (
                    " (no operator has picked it up: is the ark operator running?)"
                    if phase == "Pending"
                    else ""
                )
                err.write(
                    f"{prog}: timed out after {human_duration(timeout or 0)}: arkrun {name} is still {phase}"
                    f"{waiting}; it goes on: follow it with `{hint}`\n"
                )
                return EXIT_TIMEOUT
    except asyncio.CancelledError:
        err.write(f"\n{prog}: stopped waiting; arkrun {name} goes on: follow it with `{hint}`\n")
        raise
    state = await full_state(cluster, run, prog, err, follower.plan(run))
    if args.output == "json":
        out.write(json.dumps(run_json(run, state), indent=2) + "\n")
    else:
        out.write(result_text(state))
    if state.phase == "Succeeded":
        return EXIT_OK
    err.write(failure_line(state, prog) + "\n")
    return EXIT_FAILED


async def full_state(
    cluster: Cluster, run: Obj, prog: str, err: TextIO, plan: RunPlan | None = None
) -> RunState:
    """``run`` as a RunState with every output in full (read back from its ConfigMaps when too large)."""
    from ark.api import ArkRunStatus
    from ark.cli.run_state import run_plan, run_state
    from ark.kube.client import ApiError, TransportError
    from ark.kube.resources import CONFIGMAPS
    from ark.runs.outputs import OutputMissing, restore_outputs

    status = ArkRunStatus.model_validate(run.get("status") or {})
    try:
        status = await restore_outputs(cluster.client, cluster.namespace, status)
    except OutputMissing as exc:
        err.write(f"{prog}: warning: {exc}: showing the preview kept in the status\n")
    except (ApiError, TransportError) as exc:
        raise cluster.error("get", CONFIGMAPS, exc) from None
    return run_state(run, plan if plan is not None else run_plan(run), status)
