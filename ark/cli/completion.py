"""``ark completion bash|zsh|fish``: print the shell code that completes ``ark`` commands.

    source <(ark completion bash)                 # bash: in ~/.bashrc
    source <(ark completion zsh)                  # zsh: in ~/.zshrc, after compinit
    ark completion fish > ~/.config/fish/completions/ark.fish

The script calls ``ark`` back on each TAB (argcomplete's protocol), so commands, flags and their
choices are always those of the installed version. Team names (``ark trigger``, ``--team``) and
run names (``ark status``, ``ark retry``) come from the cluster when a kubeconfig is at hand, as
``--kubeconfig``, ``--context`` and ``-n`` on the line say; with none, or an API server that does
not answer within 2 seconds, they are simply not offered.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

SHELLS = ("bash", "zsh", "fish")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``completion`` sub-command."""
    parser = subparsers.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh, fish)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Print the script for ``args.shell``."""
    from argcomplete.shell_integration import shellcode

    stdout = out if out is not None else sys.stdout
    stdout.write(shellcode(["ark"], shell=args.shell))
    return 0
