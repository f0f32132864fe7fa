"""``ark-operator``: the process that runs the controllers (see :mod:`ark.operator.config` for flags).

Interface::

    main()                      # console script: parse flags/env, log JSON to stderr, run, exit
    python -m ark.operator ...  # the same
"""

from __future__ import annotations

import asyncio
import sys

from ark.operator.app import run
from ark.operator.config import ConfigError, parse_config
from ark_runtime.logs import configure_logging

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        config = parse_config(sys.argv[1:] if argv is None else argv)
    except ConfigError as exc:
        print(f"ark-operator: {exc}", file=sys.stderr)
        sys.exit(2)
    configure_logging(config.log_level.upper())
    sys.exit(asyncio.run(run(config)))
