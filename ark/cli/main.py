"""Entry point of the `ark` command: one sub-command module per verb, imported only when chosen.

:data:`SUBCOMMANDS` is the table of verbs: ``(name, one-line summary)``. A new sub-command is a
module ``ark/cli/<name>.py`` plus one line in the table. The module exposes
``register(subparsers)``, which adds its parser and sets ``func`` (``(argparse.Namespace) ->
int``) as the parser default.

Start-up rule: ``ark --help`` imports no sub-command module (the summaries come from the table),
and ``ark <name> ...`` imports only ``ark.cli.<name>``. So a sub-command module imports nothing
heavy at module level (no pydantic models, ``yaml``, ``asyncio``, ``httpx``, ``rich``...): it
imports those inside ``func``, so that ``ark <name> --help`` stays instant. A unit test holds
every registered command to this.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from ark import __version__

SUBCOMMANDS: tuple[tuple[str, str], ...] = (
    ("validate", "check ark YAML files (all kinds) without a cluster"),
    ("run", "run a team locally (no cluster): pipelines, delegation, routing"),
    ("trigger", "start a run of an ArkTeam in the cluster (creates an ArkRun)"),
    ("submit", "send a task to a dynamic team's entry role in the cluster"),
    ("status", "show the runs of a namespace, or one run's steps and output"),
    ("retry", "run an ArkRun's failed steps (or one and those after) again"),
    ("init", "scaffold a project: a quickstart team, .env.example, a README"),
    ("completion", "print a shell completion script (bash, zsh, fish)"),
)


def chosen_command(argv: Sequence[str]) -> str | None:
    """The sub-command ``argv`` names: its first word that is not an option (``ark`` has no
    option taking a value), if it is a registered one."""
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return first if first in dict(SUBCOMMANDS) else None


def build_parser(command: str | None = None, *, every: bool = False) -> argparse.ArgumentParser:
    """The `ark` argument parser; only ``command``'s module (with ``every``, each one's) is
    imported to register its parser in full, the others are listed with their summary."""
    parser = argparse.ArgumentParser(
        prog="ark", description="Run LLM agent teams locally or on Kubernetes (arkonis.dev/v1alpha1)."
    )
    parser.add_argument("--version", action="version", version=f"ark {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, summary in SUBCOMMANDS:
        if every or name == command:
            importlib.import_module(f"ark.cli.{name}").register(subparsers)
        else:
            subparsers.add_parser(name, help=summary)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `ark` with ``argv`` (default: the process arguments); return the exit code."""
    # pydantic looks for plugins in every installed distribution's entry points the first time a
    # model is used (~5 ms); the ark command uses none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    if "_ARGCOMPLETE" in os.environ:
        # A shell asking for completions (the script `ark completion` prints): answer and exit.
        from ark.cli.complete import complete

        complete(build_parser(every=True))
    args_in = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(chosen_command(args_in))
    args = parser.parse_args(args_in)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    code: int = func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
