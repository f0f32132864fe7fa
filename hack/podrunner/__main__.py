"""``python -m podrunner`` (with ``hack/`` on ``PYTHONPATH``): run the node's ark-image pods until SIGTERM.

Exit codes: 0 after SIGTERM/SIGINT (every process stopped), 1 when the API could not be reached
or the caches did not sync, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from ark.kube.client import KubeClient
from podrunner.context import NODE_NAME, Settings
from podrunner.runner import PodRunner
from podrunner.stages import DEFAULT_REPOSITORY

log = logging.getLogger("podrunner")


def _positive(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return number


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line (see ``--help``)."""
    defaults = Settings()
    parser = argparse.ArgumentParser(
        prog="python -m podrunner",
        description="The kubelet's stand-in for the ark image: runs the containers of the pods bound "
        "to a kwok node as local processes and reports their status.",
    )
    parser.add_argument("--kubeconfig", type=Path, required=True, help="credentials (the cluster admin)")
    parser.add_argument("--node", default=NODE_NAME, help=f"the node whose pods to run (default {NODE_NAME})")
    parser.add_argument(
        "--image-repository",
        default=DEFAULT_REPOSITORY,
        help=f"run containers of this image, any tag or digest (default {DEFAULT_REPOSITORY})",
    )
    parser.add_argument(
        "--bin-dir",
        type=Path,
        default=defaults.bin_dir,
        help="the image's programs (default: this venv's bin)",
    )
    parser.add_argument("--log-dir", type=Path, required=True, help="one <namespace>_<pod>.log per pod")
    parser.add_argument(
        "--backoff-base",
        type=_positive,
        default=defaults.backoff_base,
        help="first crash-loop back-off in seconds, doubling (default 10, as the kubelet)",
    )
    parser.add_argument(
        "--backoff-max", type=_positive, default=defaults.backoff_cap, help="longest back-off (default 300)"
    )
    parser.add_argument(
        "--shutdown-grace",
        type=_positive,
        default=defaults.shutdown_grace,
        help="on SIGTERM, seconds each container gets before SIGKILL (default 8)",
    )
    parser.add_argument(
        "--ready-file", type=Path, help="written once the watches are synced, removed on exit"
    )
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="each container in its own mount namespace with its volumes (the ServiceAccount token "
        "included) and an /etc/hosts naming the cluster's Services, which the runner proxies; runs "
        "the redis image too (needs root)",
    )
    parser.add_argument(
        "--data-dir", type=Path, help="with --sandbox: the pods' volumes (default: <log-dir>/../pod-data)"
    )
    parser.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    args = parser.parse_args(argv)
    if args.backoff_max < args.backoff_base:
        parser.error("--backoff-max must be at least --backoff-base")
    if args.sandbox and os.geteuid() != 0:
        parser.error("--sandbox mounts volumes in a mount namespace of each container: run as root")
    return args


async def _main(args: argparse.Namespace) -> int:
    settings = Settings(
        node=args.node,
        repository=args.image_repository,
        bin_dir=args.bin_dir.resolve(),
        log_dir=args.log_dir.resolve(),
        backoff_base=args.backoff_base,
        backoff_cap=args.backoff_max,
        shutdown_grace=args.shutdown_grace,
        sandbox=args.sandbox,
        data_dir=(args.data_dir or args.log_dir.parent / "pod-data").resolve(),
    )
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def ready() -> None:
        if args.ready_file is not None:
            partial = args.ready_file.with_name(args.ready_file.name + ".tmp")
            partial.write_text(f"{os.getpid()}\n")
            partial.replace(args.ready_file)

    try:
        async with await KubeClient.from_kubeconfig(args.kubeconfig) as client:
            await PodRunner(client, settings).run(stop, on_ready=ready)
    except RuntimeError as error:
        log.error("%s", error)
        return 1
    finally:
        if args.ready_file is not None:
            args.ready_file.unlink(missing_ok=True)
    log.info("stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # httpx logs every request at INFO: that would be a line per probe.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return asyncio.run(_main(args))


if __name__ == "__main__":
    sys.exit(main())
