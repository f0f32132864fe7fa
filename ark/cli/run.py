"""``ark run FILE|DIR|- ...``: run a team on this machine, no cluster, no Redis.

The ArkTeam and the ArkAgents, ArkRegistry and ArkSettings it uses are read from the files;
ConfigMaps and Secrets among them supply ``systemPromptRef``s; other kinds are reported and
skipped. Each agent runs in-process with the runtime's tool-use loop and a provider chosen by
``--provider`` (default ``$ARK_PROVIDER``, else ``auto``: by model name, keys from the
environment); ``--provider mock`` needs no key and no network. The run starts once every tool
server's first connection attempt is over (at most AGENT_CONNECT_TIMEOUT_SECONDS, 10 s).

Exit status: 0 Succeeded; 1 the run failed (the failing step and reason go to stderr);
2 nothing ran (bad files, input, provider set-up); 130 interrupted (Ctrl-C; partial state shown).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from ark.cli.run_setup import LocalRun, LocalTeam, SetupError, prepare, read_paths
from ark.flow.inputs import InputError, stringify_inputs

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_NOT_STARTED = 2
EXIT_INTERRUPTED = 130
DEFAULT_MAX_PARALLEL = 8
LOG_LEVELS = {"debug": "DEBUG", "info": "INFO", "warn": "WARNING", "warning": "WARNING", "error": "ERROR"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``run`` sub-command."""
    parser = subparsers.add_parser(
        "run",
        help="run a team locally (no cluster): pipelines, delegation, routing",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths", nargs="+", metavar="FILE|DIR|-", help="YAML files, directories or - for stdin"
    )
    parser.add_argument(
        "--provider",
        choices=("auto", "mock", "anthropic", "openai"),
        default=None,
        help="model provider for every agent (default: $ARK_PROVIDER, else auto = by model name)",
    )
    parser.add_argument("--mock", action="store_true", help="same as --provider mock")
    parser.add_argument(
        "-i",
        "--input",
        action="append",
        default=[],
        metavar="KEY=VALUE|JSON",
        help="run input: repeat KEY=VALUE, or give a JSON object",
    )
    parser.add_argument("-w", "--watch", action="store_true", help="show each step live (on stderr)")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text", help="result format")
    parser.add_argument("--out-file", metavar="PATH", help="also write the run's final output to PATH")
    parser.add_argument("--dry-run", action="store_true", help="validate and show the plan; call no model")
    parser.add_argument(
        "--no-mcp", action="store_true", help="connect no MCP servers and no inline HTTP tools"
    )
    parser.add_argument(
        "--max-parallel",
        type=_positive_int,
        default=DEFAULT_MAX_PARALLEL,
        metavar="N",
        help=f"steps in flight at once (default {DEFAULT_MAX_PARALLEL})",
    )
    parser.add_argument(
        "--timeout",
        type=_positive_float,
        metavar="SECONDS",
        help="run time limit (overrides spec.timeoutSeconds)",
    )
    parser.add_argument(
        "--max-tokens", type=_positive_int, metavar="N", help="run token budget (overrides spec.maxTokens)"
    )
    parser.add_argument(
        "--team", "--flow", dest="team", metavar="NAME", help="the team to run when the files hold several"
    )
    parser.add_argument(
        "--log-level",
        choices=tuple(LOG_LEVELS),
        default=None,
        help="the runtime's logs on stderr from this level up (default: $ARK_LOG_LEVEL, else warning)",
    )
    parser.set_defaults(func=run)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def parse_inputs(items: Sequence[str]) -> dict[str, str]:
    """``--input`` values: ``KEY=VALUE`` pairs and JSON objects, later ones winning (§18 #14)."""
    values: dict[str, str] = {}
    for item in items:
        text = item.strip()
        if text.startswith("{"):
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputError(f"--input {item!r} is not a valid JSON object: {exc.msg}") from None
            if not isinstance(parsed, dict):
                raise InputError(f"--input {item!r} must be a JSON object")
            values.update(stringify_inputs(parsed))
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(
                f'--input {item!r}: write KEY=VALUE or a JSON object such as \'{{"task": "..."}}\''
            )
        values[key.strip()] = value
    return values


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``args``; return the exit status."""
    stdout = out if out is not None else sys.stdout
    stderr = err if err is not None else sys.stderr
    explicit = "mock" if args.mock else (args.provider or os.environ.get("ARK_PROVIDER") or "auto")
    try:
        given = parse_inputs(args.input)
        local = prepare(
            read_paths(args.paths),
            team_name=args.team,
            given_inputs=given,
            timeout=args.timeout,
            max_tokens=args.max_tokens,
        )
        from ark.cli.run_workers import provider_names

        providers = provider_names(local.team, explicit)
    except SetupError as exc:
        for line in exc.lines:
            stderr.write(f"ark run: {line}\n")
        return EXIT_NOT_STARTED
    except InputError as exc:
        stderr.write(f"ark run: {exc}\n")
        return EXIT_NOT_STARTED
    _configure_logging(args.log_level, local)
    for warning in local.warnings:
        stderr.write(f"ark run: warning: {warning}\n")
    if local.skipped:
        stderr.write(f"ark run: skipped (not used by a local run): {', '.join(local.skipped)}\n")
    if args.dry_run:
        from ark.cli.run_view import plan_json, plan_text

        if args.output == "json":
            stdout.write(json.dumps(plan_json(local, providers), indent=2) + "\n")
        else:
            stdout.write(plan_text(local, providers))
        return EXIT_OK
    return asyncio.run(_execute(local, args, explicit, providers, stdout, stderr))


def _configure_logging(flag: str | None, local: LocalRun) -> None:
    # Text lines on stderr; the values of the Secrets among the files are masked like provider keys.
    from ark_runtime.logs import configure_logging, secret_values

    level = LOG_LEVELS.get((flag or os.environ.get("ARK_LOG_LEVEL") or "warning").lower(), "WARNING")
    found = [v for (kind, _), data in local.secrets.items() if kind == "Secret" for v in data.values()]
    configure_logging(level, secret_values(os.environ, found), text_prefix="ark run: ")


async def _execute(
    local: LocalRun,
    args: argparse.Namespace,
    explicit: str,
    providers: dict[str, str],
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    from ark.cli.run_view import (
        LineWatch,
        LiveWatch,
        failure_line,
        result_json,
        result_text,
        tool_servers_json,
    )
    from ark.cli.run_workers import build_workers
    from ark.flow.actions import Action, SubmitTask
    from ark.flow.driver import Driver
    from ark.flow.engine import Engine, EngineOptions
    from ark.flow.inputs import resolve_inputs
    from ark.flow.local import InProcessQueue, error_result
    from ark.flow.state import RunState
    from ark_runtime.protocol import Result, Task

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
        sub_queue = InProcessQueue(workers.workers, run_team)
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

    queue = InProcessQueue(workers.workers, run_team)
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
    if state.phase == "Succeeded":
        return EXIT_OK
    stderr.write(failure_line(state) + "\n")
    return EXIT_INTERRUPTED if interrupted.is_set() else EXIT_FAILED


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
