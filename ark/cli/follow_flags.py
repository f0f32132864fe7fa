"""The flags of the commands that start a run and may wait for it (``trigger``, ``submit``,
``retry``): parsing only, so that ``ark <cmd> --help`` imports nothing heavy.

Interface::

    add_follow_flags(parser)        # -w/--watch, --sync, --timeout DURATION (default 60s), -o/--output
"""

from __future__ import annotations

import argparse

from ark.cli.duration import timeout_arg

DEFAULT_TIMEOUT = 60.0


def add_follow_flags(parser: argparse.ArgumentParser) -> None:
    """``--watch``, ``--sync``, ``--timeout`` and ``-o``."""
    parser.add_argument(
        "-w", "--watch", action="store_true", help="show each step live on stderr until the run ends"
    )
    parser.add_argument("--sync", action="store_true", help="wait until the run ends and print its result")
    parser.add_argument(
        "--timeout",
        type=timeout_arg,
        default=DEFAULT_TIMEOUT,
        metavar="DURATION",
        help="how long --sync/--watch wait, e.g. 90s, 5m, 1h30m (default 60s); the run goes on after",
    )
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text", help="result format")
