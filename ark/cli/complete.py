"""Answering a shell's TAB (``_ARGCOMPLETE`` set by the script ``ark completion`` prints).

Interface::

    complete(parser)      # fills in completers, answers on fd 8 and exits the process

Every command is registered (``ark --help`` registers none), then the cluster-backed completers
are attached to the arguments that name ark objects:

* ``ark trigger TEAM``, ``--team`` of ``submit`` and ``status``: ArkTeams of the namespace;
* ``ark status RUN``, ``ark retry RUN``: ArkRuns of the namespace, newest first.

The cluster is the one the line names (``--kubeconfig``, ``--context``, ``-n``), resolved as the
command would resolve it. A lookup gets 2 seconds; any failure (no kubeconfig, unreachable,
forbidden) offers no names rather than printing an error into the user's prompt.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

LOOKUP_SECONDS = 2.0
Completer = Callable[..., list[str]]


def _names(plural: str, newest_first: bool) -> Completer:
    def completer(prefix: str, parsed_args: argparse.Namespace, **_: Any) -> list[str]:
        import asyncio

        async def lookup() -> list[str]:
            from ark.cli.cluster import open_cluster
            from ark.controllers.resources import ARK_RUNS, ARK_TEAMS

            resource = {"arkteams": ARK_TEAMS, "arkruns": ARK_RUNS}[plural]
            async with asyncio.timeout(LOOKUP_SECONDS), open_cluster(parsed_args) as cluster:
                items = await cluster.list(resource)
            if newest_first:
                items.sort(key=lambda i: i["metadata"].get("creationTimestamp", ""), reverse=True)
            return [str(i["metadata"]["name"]) for i in items]

        try:
            names = asyncio.run(lookup())
        except Exception:
            return []
        return [name for name in names if name.startswith(prefix)]

    return completer


# (command, argument dest) -> completer
COMPLETERS: dict[tuple[str, str], Completer] = {
    ("trigger", "team"): _names("arkteams", newest_first=False),
    ("submit", "team"): _names("arkteams", newest_first=False),
    ("status", "team"): _names("arkteams", newest_first=False),
    ("status", "run_name"): _names("arkruns", newest_first=True),
    ("retry", "run_name"): _names("arkruns", newest_first=True),
}


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def complete(parser: argparse.ArgumentParser) -> None:
    """Attach the completers and let argcomplete answer (it exits when ``_ARGCOMPLETE`` is set)."""
    import argcomplete

    for name, sub in _subparsers(parser).items():
        for action in sub._actions:
            completer = COMPLETERS.get((name, action.dest))
            if completer is not None:
                action.completer = completer  # type: ignore[attr-defined]
    # Options only once a '-' is typed: `ark trigger <TAB>` offers team names, not -h/--watch/...
    argcomplete.autocomplete(parser, always_complete_options=False)
