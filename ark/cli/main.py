"""Entry point of the `ark` command: one sub-command module per verb.

Each sub-command module exposes ``register(subparsers)``, which adds its parser
and sets ``func`` (``(argparse.Namespace) -> int``) as the parser default.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ark import __version__

SUBCOMMANDS: tuple[str, ...] = (
    "validate",
    "run",
    "trigger",
    "submit",
    "status",
    "retry",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the `ark` argument parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="ark", description="Run LLM agent teams locally or on Kubernetes (arkonis.dev/v1alpha1)."
    )
    parser.add_argument("--version", action="version", version=f"ark {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        module = __import__(f"ark.cli.{name}", fromlist=["register"])
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `ark` with ``argv`` (default: the process arguments); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    code: int = func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
