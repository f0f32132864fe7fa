"""``ark init NAME``: a new project directory with a team that runs at once.

Writes NAME/team.yaml (the ArkAgent NAME-researcher and the ArkTeam NAME, a two-step pipeline
that `ark run team.yaml --provider mock` completes), NAME/.env.example (the provider
variables), NAME/README.md and NAME/.gitignore. NAME may be a path; its last part names the
team. An existing NAME is never touched.

Exit status: 0 written; 1 NAME exists; 2 NAME is not a valid name.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``init`` sub-command."""
    parser = subparsers.add_parser(
        "init",
        help="scaffold a project: a quickstart team, .env.example, a README",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("name", metavar="NAME", help="the directory to create; its name names the team")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Create the project; return the exit status."""
    from pathlib import Path

    from ark.cli.init_files import project_files

    stdout = out if out is not None else sys.stdout
    stderr = err if err is not None else sys.stderr
    target = Path(args.name)
    try:
        files = project_files(target.name)
    except ValueError as error:
        stderr.write(f"ark init: {error}\n")
        return 2
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # mkdir, not exist_ok: the check and the creation are one step, so nothing is overwritten.
        target.mkdir()
    except FileExistsError:
        stderr.write(f"ark init: {args.name} already exists; choose a new directory\n")
        return 1
    for relative, content in files.items():
        (target / relative).write_text(content)
    stdout.write(f"created {args.name}/ ({', '.join(files)})\n")
    stdout.write(f"  cd {args.name}\n")
    stdout.write('  ark run team.yaml --provider mock --input topic="green tea" --watch\n')
    return 0
