"""``ark run FILE|DIR|- ...``: run a team on this machine, no cluster, no Redis.

The ArkTeam and the ArkAgents, ArkRegistry and ArkSettings it uses are read from the files;
ConfigMaps and Secrets among them supply ``systemPromptRef``s; an agent's ArkMemory is used
(redis at REDIS_URL of its Secret document or --memory-redis-url, else in-process for the run;
a vector store as the document says); other kinds are reported and skipped. Each agent runs
in-process with the runtime's tool-use loop and a provider chosen by
``--provider`` (default ``$ARK_PROVIDER``, else ``auto``: by model name, keys from the
environment); ``--provider mock`` needs no key and no network. The run starts once every tool
server's first connection attempt is over (at most AGENT_CONNECT_TIMEOUT_SECONDS, 10 s).

Exit status: 0 Succeeded; 1 the run failed (the failing step and reason go to stderr);
2 nothing ran (bad files, input, provider set-up); 130 interrupted (Ctrl-C; partial state shown).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ark.cli.run_setup import LocalRun

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_NOT_STARTED = 2
EXIT_INTERRUPTED = 130
DEFAULT_MAX_PARALLEL = 8
LOG_LEVELS = {"debug": "DEBUG", "info": "INFO", "warn": "WARNING", "warning": "WARNING", "error": "ERROR"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``run`` sub-command."""
    parser = subparsers.add_parser(
        "run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
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
        "--memory-redis-url",
        metavar="URL",
        default="",
        help="the Redis of every redis ArkMemory (default: REDIS_URL of its Secret among the files, "
        "else memory kept in this process for this run)",
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
    import json

    from ark.api.limits import LimitExceeded
    from ark.api.reader import load_json
    from ark.flow.inputs import InputError, stringify_inputs

    values: dict[str, str] = {}
    for item in items:
        text = item.strip()
        if text.startswith("{"):
            try:
                parsed = load_json(text, "--input")
            except json.JSONDecodeError as exc:
                raise InputError(f"--input {item!r} is not a valid JSON object: {exc.msg}") from None
            except LimitExceeded as exc:
                raise InputError(f"--input: {exc.reason}") from None
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
    from ark.cli.gc_pause import paused_collection

    # Importing the engine, the models and the checks is a burst of long-lived objects too.
    with paused_collection():
        import asyncio
        import json

        from ark.cli.run_local import execute
        from ark.cli.run_setup import SetupError, prepare, read_paths
        from ark.cli.run_workers import provider_names
        from ark.flow.inputs import InputError

    stdout = out if out is not None else sys.stdout
    stderr = err if err is not None else sys.stderr
    explicit = "mock" if args.mock else (args.provider or os.environ.get("ARK_PROVIDER") or "auto")
    try:
        given = parse_inputs(args.input)
        with paused_collection():
            local = prepare(
                read_paths(args.paths),
                team_name=args.team,
                given_inputs=given,
                timeout=args.timeout,
                max_tokens=args.max_tokens,
                memory_redis_url=args.memory_redis_url,
            )
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
    return asyncio.run(execute(local, args, explicit, providers, stdout, stderr))


def _configure_logging(flag: str | None, local: LocalRun) -> None:
    # Text lines on stderr; the values of the Secrets among the files are masked like provider keys.
    from ark_runtime.logs import configure_logging, secret_values

    level = LOG_LEVELS.get((flag or os.environ.get("ARK_LOG_LEVEL") or "warning").lower(), "WARNING")
    found = [v for (kind, _), data in local.secrets.items() if kind == "Secret" for v in data.values()]
    configure_logging(level, secret_values(os.environ, found), text_prefix="ark run: ")
