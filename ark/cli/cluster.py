"""A cluster session for the ``ark`` commands: client, namespace and user, and errors that say what to do.

Interface::

    code = run_cluster_command("trigger", args, body, err)   # asyncio.run + open_cluster + messages
    async with open_cluster(args) as cluster:                  # ConfigError, ClusterError
        cluster.namespace, cluster.user, cluster.server, cluster.target
        team = await cluster.get(ARK_TEAMS, "blog")            # NotFound only for a missing object
        items = await cluster.list(ARK_RUNS, label_selector="arkonis.dev/team=blog")
        run = await cluster.create(ARK_RUNS, body)
        async with contextlib.aclosing(cluster.watch(ARK_RUNS, field_selector=..., ...)) as events: ...
    cluster.client                                             # the KubeClient (ark.runs.outputs takes it)

Every API failure other than a missing object becomes a :class:`ClusterError` naming what was
refused and what to do: 401 (the credentials), 403 (the verb, resource and namespace), a kind the
server does not serve (install the CRDs), an unreachable server (its URL). Exit codes shared by
the cluster commands are here too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any, TextIO

from ark.api import GROUP
from ark.cli.kubeconfig import ClusterTarget, ConfigError, connect, resolve_target
from ark.kube.client import ApiError, Gone, KubeClient, NotFound, TransportError, WatchEvent
from ark.kube.resources import Resource

Obj = dict[str, Any]

EXIT_OK = 0
EXIT_FAILED = 1
"""The run ended Failed."""
EXIT_ERROR = 2
"""The command could not do its job (bad input, unknown object, cluster unreachable or refusing)."""
EXIT_TIMEOUT = 124
"""``--timeout`` passed before the run finished (the run goes on), as timeout(1) exits."""
EXIT_INTERRUPTED = 130

CRD_HINT = "install ark's CRDs: kubectl apply -k manifests/crd"


class ClusterError(Exception):
    """The API server could not be reached or refused a request; the message says what to do."""


class Cluster:
    """The client of one command with its namespace; see the module docstring."""

    def __init__(self, client: KubeClient, target: ClusterTarget) -> None:
        self.client = client
        self.target = target

    @property
    def namespace(self) -> str:
        """The namespace every request goes to."""
        return self.target.namespace

    @property
    def user(self) -> str | None:
        """Who the kubeconfig says we are (for ``trigger.source``)."""
        return self.target.user

    @property
    def server(self) -> str:
        """The API server URL."""
        return self.target.server

    async def get(self, resource: Resource, name: str, namespace: str | None = None) -> Obj:
        """One object (of ``namespace``, default the session's); ``NotFound`` only for a missing object."""
        where = namespace or self.namespace
        try:
            return await self.client.get(resource, name, where)
        except NotFound as exc:
            if (exc.body.get("details") or {}).get("name") == name:
                raise
            raise self.error("get", resource, exc, where) from None
        except (ApiError, TransportError) as exc:
            raise self.error("get", resource, exc, where) from None

    async def list(self, resource: Resource, *, label_selector: str | None = None) -> list[Obj]:
        """Every object of the namespace (all pages)."""
        try:
            items, _ = await self.client.list_all(resource, self.namespace, label_selector=label_selector)
        except (ApiError, TransportError) as exc:
            raise self.error("list", resource, exc) from None
        return items

    async def list_page(self, resource: Resource, *, field_selector: str) -> Obj:
        """One LIST answer (items and the resourceVersion to watch from)."""
        try:
            return await self.client.list(resource, self.namespace, field_selector=field_selector)
        except (ApiError, TransportError) as exc:
            raise self.error("list", resource, exc) from None

    async def create(self, resource: Resource, body: Obj) -> Obj:
        """Create ``body`` in the namespace."""
        body = {**body, "metadata": {**body.get("metadata", {}), "namespace": self.namespace}}
        try:
            return await self.client.create(resource, body)
        except (ApiError, TransportError) as exc:
            raise self.error("create", resource, exc) from None

    async def watch(
        self, resource: Resource, *, field_selector: str, resource_version: str, timeout_seconds: int
    ) -> AsyncGenerator[WatchEvent, None]:
        """Watch events; ``Gone`` (relist) and ``TransportError`` (reconnect) pass through."""
        events = self.client.watch(
            resource,
            self.namespace,
            field_selector=field_selector,
            resource_version=resource_version,
            timeout_seconds=timeout_seconds,
        )
        async with contextlib.aclosing(events):
            try:
                async for event in events:
                    yield event
            except Gone:
                raise
            except ApiError as exc:
                raise self.error("watch", resource, exc) from None

    def error(
        self, verb: str, resource: Resource, exc: ApiError | TransportError, namespace: str | None = None
    ) -> ClusterError:
        """What went wrong with ``verb`` on ``resource`` (in ``namespace``), and what to do about it."""
        what = f"{resource.plural}.{resource.group}" if resource.group else resource.plural
        where = f'context "{self.target.context}"' if self.target.context else self.target.source
        if isinstance(exc, TransportError):
            cause = exc.__cause__ or exc
            return ClusterError(
                f"cannot reach the API server at {self.server} ({cause}): is the cluster up, and is "
                f"{where} the one you mean? (pick another with --context or --kubeconfig)"
            )
        if exc.status == 401:
            return ClusterError(
                f"the API server at {self.server} does not accept the credentials of {where} "
                f"(401 Unauthorized): renew them in {self.target.source}"
            )
        if exc.status == 403:
            who = f'user "{self.user}"' if self.user else "you"
            ns = namespace or self.namespace
            return ClusterError(
                f'forbidden: {who} may not {verb} {what} in namespace "{ns}" ({exc.message}); '
                f'ask a cluster admin for a Role and RoleBinding granting "{verb}" on {what}'
            )
        if exc.status == 404:
            hint = CRD_HINT if resource.group == GROUP else "is this a Kubernetes API server?"
            return ClusterError(f"the API server at {self.server} does not serve {what}: {hint}")
        return ClusterError(
            f"{verb} {what}: the API server answered {exc.status} {exc.reason}: {exc.message}"
        )


@contextlib.asynccontextmanager
async def open_cluster(args: argparse.Namespace) -> AsyncIterator[Cluster]:
    """The session for the cluster flags of ``args`` (``--kubeconfig``, ``--context``, ``-n``)."""
    target = resolve_target(args.kubeconfig, args.context, args.namespace)
    client = await connect(target)
    try:
        yield Cluster(client, target)
    finally:
        await client.close()


def run_cluster_command(
    name: str,
    args: argparse.Namespace,
    body: Callable[[Cluster], Awaitable[int]],
    err: TextIO,
) -> int:
    """Run ``body`` with a session; configuration and cluster errors become one stderr line and exit 2."""

    async def main() -> int:
        async with open_cluster(args) as cluster:
            return await body(cluster)

    from ark.cli.run_state import RunDataError

    try:
        return asyncio.run(main())
    except (ConfigError, ClusterError, RunDataError) as exc:
        err.write(f"ark {name}: {exc}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def follow_hint(args: argparse.Namespace, namespace: str, run: str) -> str:
    """The command that follows ``run`` with the same cluster flags."""
    flags = [f"-n {namespace}"]
    if args.context:
        flags.append(f"--context {args.context}")
    if args.kubeconfig:
        flags.append(f"--kubeconfig {args.kubeconfig}")
    return f"ark status {run} --watch {' '.join(flags)}"
