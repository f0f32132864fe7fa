"""``ark run``'s execution: the engine, the in-process queue and workers, until the run ends."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ark.cli.run import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_NOT_STARTED, EXIT_OK
from ark.cli.run_setup import LocalRun, LocalTeam, SetupError
from ark.cli.run_view import LineWatch, LiveWatch, failure_line, result_json, result_text, tool_servers_json
from ark.cli.run_workers import build_workers
from ark.flow.actions import Action, SubmitTask
from ark.flow.driver import Driver
from ark.flow.engine import Engine, EngineOptions
from ark.flow.inputs import InputError, resolve_inputs
from ark.flow.local import InProcessQueue, error_result
from ark.flow.state import RunState
from ark_runtime.protocol import Result, Task

if TYPE_CHECKING:
    from ark.cli.run_trace import RunTracing


async def execute(
    local: LocalRun,
    args: argparse.Namespace,
    explicit: str,
    providers: dict[str, str],
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """Run ``local`` as ``args`` say; print the result; return the exit status."""
    team = local.team
    options = EngineOptions(max_parallel=args.max_parallel)
    engine = Engine(team.plan, options)
    run_uid = f"{team.name.replace('.', '-')}-{secrets.token_hex(3)}"
    state = engine.new_state(run_uid, local.inputs)
    drivers: dict[str, Driver] = {}

    async def delegate(role: str, prompt: str, parent: Task) -> str:
        return await drivers[parent.run].delegate(role, prompt, parent)

    try:
        workers = build_workers(
            team,
            explicit=explicit,
            env=os.environ,
            no_tools=args.no_mcp,
            delegate=delegate,
            max_depth=team.plan.max_depth,
            secrets=local.secrets,
            warn=lambda text: print(f"ark run: warning: {text}", file=stderr),
        )
    except SetupError as exc:
        for line in exc.lines:
            stderr.write(f"ark run: {line}\n")
        return EXIT_NOT_STARTED
    nested = _nested_teams(team)
    tracing = _tracing(args)
    agents = tracing.traced(workers.workers) if tracing is not None else workers.workers

    async def run_team(request: SubmitTask) -> Result:
        # An arkTeam role: the whole referenced team runs as this one step.
        task = request.task
        sub = nested[request.team or ""]
        try:
            resolved = resolve_inputs(sub.spec, dict(request.inputs or {}))
        except InputError as exc:
            return error_result(task, f"team {sub.name}: {exc}")
        sub_engine = Engine(sub.plan, options)
        sub_state = sub_engine.new_state(task.id.replace(".", "-"), resolved.values)
        sub_queue = InProcessQueue(agents, run_team)
        sub_driver = Driver(sub_engine, sub_state, sub_queue)
        drivers[sub_state.run_uid] = sub_driver
        try:
            await sub_driver.run()
        finally:
            await sub_queue.aclose()
        ok = sub_state.phase == "Succeeded"
        return Result(
            id=task.id,
            run=task.run,
            step=task.step,
            status="ok" if ok else "error",
            output=sub_state.output or "" if ok else "",
            error="" if ok else f"team {sub.name}: {sub_state.message}",
            input_tokens=sub_state.input_tokens,
            output_tokens=sub_state.output_tokens,
            consumer="ark-run",
        )

    queue = InProcessQueue(agents, run_team)
    watch: Any = None
    if args.watch:
        watch = LiveWatch(stderr, state) if stderr.isatty() else LineWatch(stderr)

    def observe(run_state: RunState, action: Action) -> None:
        if watch is not None:
            watch.observe(run_state, action)

    driver = Driver(engine, state, queue, observer=observe)
    drivers[run_uid] = driver
    interrupted = asyncio.Event()
    cancelling: list[asyncio.Task[None]] = []
    loop = asyncio.get_running_loop()

    def on_interrupt() -> None:
        interrupted.set()
        cancelling.append(loop.create_task(driver.cancel("cancelled by the user (Ctrl-C)")))

    handles_signal = _add_signal_handler(loop, on_interrupt)
    try:
        if watch is not None:
            workers.subscribe(watch.tool_server)
        await workers.connect_tools(interrupted)
        with tracing.run_span(team.name, run_uid) if tracing is not None else contextlib.nullcontext():
            if watch is not None:
                with watch:
                    await driver.run()
            else:
                await driver.run()
    finally:
        if handles_signal:
            loop.remove_signal_handler(signal.SIGINT)
        tool_servers = workers.tool_servers()
        await queue.aclose()
        await workers.aclose()
    if args.output == "json":
        document = result_json(state, {**workers.providers, **providers})
        document["toolServers"] = tool_servers_json(tool_servers)
        stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        stdout.write(result_text(state))
    if args.out_file and state.output is not None:
        await asyncio.to_thread(Path(args.out_file).write_text, state.output, encoding="utf-8")
    if tracing is not None:
        await asyncio.to_thread(tracing.finish, stderr)
    if state.phase == "Succeeded":
        return EXIT_OK
    stderr.write(failure_line(state) + "\n")
    return EXIT_INTERRUPTED if interrupted.is_set() else EXIT_FAILED


def _tracing(args: argparse.Namespace) -> RunTracing | None:
    # OpenTelemetry is imported only for a traced run (D165).
    if not (
        args.trace
        or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    ):
        return None
    from ark.cli.run_trace import RunTracing

    return RunTracing.start(os.environ, print_tree=args.trace)


def _add_signal_handler(loop: asyncio.AbstractEventLoop, callback: Any) -> bool:
    try:
        loop.add_signal_handler(signal.SIGINT, callback)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals here
        return False
    return True


def _nested_teams(team: LocalTeam) -> dict[str, LocalTeam]:
    found: dict[str, LocalTeam] = {}
    for name, sub in team.teams.items():
        found[name] = sub
        found.update(_nested_teams(sub))
    return found
