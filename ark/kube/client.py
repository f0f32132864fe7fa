"""A thin JSON client for the Kubernetes API on top of ``kubernetes_asyncio``'s transport.

Interface::

    client = await KubeClient.from_kubeconfig(path)  # or KubeClient.in_cluster(), await KubeClient.auto()
    client = KubeClient.from_configuration(configuration)  # a loaded kubernetes_asyncio Configuration
    client = KubeClient(api_client)                  # wrap an existing ApiClient (not closed by us)
    await client.get(CONFIGMAPS, "name", namespace="ns") -> dict
    await client.list(CONFIGMAPS, namespace="ns", label_selector="a=b", limit=500, continue_=token) -> dict
    await client.list_all(CONFIGMAPS, namespace="ns") -> (items, resourceVersion)
    await client.create(CONFIGMAPS, obj) / client.replace(CONFIGMAPS, obj)
    await client.delete(CONFIGMAPS, name, namespace="ns")
    await client.patch(res, name, patch, namespace=, patch_type=PatchType.MERGE | STRATEGIC | JSON)
    await client.apply(res, obj, field_manager="ark", force=True)          # server-side apply
    await client.update_status(res, obj) / client.patch_status(res, name, patch, namespace=)
    async with contextlib.aclosing(client.watch(res, "ns", resource_version=rv)) as events:
        async for event in events: event.type, event.object      # raw dicts, BOOKMARKs included
    await retry_on_conflict(fn)                                   # re-run fn while it raises Conflict

Objects are plain dicts exactly as the server sent them (no generated models,
so unknown fields survive). Non-2xx answers raise :class:`ApiError` or a
subclass (:class:`NotFound`, :class:`Conflict`, :class:`AlreadyExists`,
:class:`Gone`, :class:`Invalid`); transport failures raise :class:`TransportError`.

We call ``ApiClient.call_api`` with ``_preload_content=False`` rather than the
generated per-type methods: it is the one entry point that works for every
resource (built-in or custom), applies the configured auth (including token
refresh hooks for in-cluster and exec credentials) and hands back the raw
aiohttp response, which we decode ourselves.

The clients we build resolve the proxy for the API server from the environment once
(``HTTPS_PROXY``/``NO_PROXY``, as client-go does) instead of on every request:
``kubernetes_asyncio`` opens its session with ``trust_env=True``, which makes each call re-read the
proxy variables and look ``~/.netrc`` up in a worker thread, a thread hop and a file read per API
call (about a fifth of the operator's CPU under a stream of webhook fires). netrc credentials are
not used; they were never meant for the API server, and client-go ignores them too.
"""

from __future__ import annotations

import asyncio
import builtins
import json
import os
import urllib.parse
import urllib.request
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from kubernetes_asyncio import client as k8s_client
from kubernetes_asyncio import config as k8s_config

from ark.kube.resources import Resource

Obj = dict[str, Any]
R = TypeVar("R")

DEFAULT_TIMEOUT = 30.0
CONNECT_TIMEOUT = 10.0
# A watch that sent nothing for this long past its server-side timeout is dead.
WATCH_READ_GRACE = 30.0
# Room for one watch event of a large object (etcd takes requests up to 1.5 MiB), as the library sets.
WATCH_READ_BUFFER = 2**21


def _env_proxy(host: str) -> str | None:
    """The proxy ``HTTPS_PROXY``/``HTTP_PROXY`` names for ``host``, unless ``NO_PROXY`` exempts it."""
    url = urllib.parse.urlsplit(host)
    proxy = urllib.request.getproxies_environment().get(url.scheme)
    if not proxy or urllib.request.proxy_bypass(url.hostname or ""):
        return None
    return proxy


class ApiError(Exception):
    """The API server answered with an error status."""

    def __init__(self, status: int, reason: str, message: str, body: Obj | None = None) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message
        self.body = body or {}


class NotFound(ApiError):
    """404: the object (or its namespace) does not exist."""


class Conflict(ApiError):
    """409 Conflict: the write was based on a stale resourceVersion; re-read and retry."""


class AlreadyExists(ApiError):
    """409 AlreadyExists: a create found an object of that name."""


class Gone(ApiError):
    """410: the requested resourceVersion (or continue token) is too old; relist."""


class Invalid(ApiError):
    """422: the object failed validation."""


class TransportError(Exception):
    """The request never got a complete answer (connection refused, reset, timeout, cut stream)."""


def error_from_status(status: int, body: Obj | None) -> ApiError:
    """Build the typed error for an HTTP status and a ``metav1.Status`` body."""
    body = body or {}
    reason = str(body.get("reason") or "")
    message = str(body.get("message") or "")
    code = int(body.get("code") or status)
    if code == 404:
        return NotFound(code, reason or "NotFound", message, body)
    if code == 409:
        cls = AlreadyExists if reason == "AlreadyExists" else Conflict
        return cls(code, reason or "Conflict", message, body)
    if code == 410 or reason in ("Expired", "Gone"):
        return Gone(code, reason or "Gone", message, body)
    if code == 422:
        return Invalid(code, reason or "Invalid", message, body)
    return ApiError(code, reason or "Error", message, body)


def _decode_error(status: int, data: bytes) -> ApiError:
    try:
        body = json.loads(data) if data else None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {"message": data.decode(errors="replace")[:500]}
    return error_from_status(status, body)


class PatchType(Enum):
    """Patch formats, by the Content-Type the API server expects."""

    MERGE = "application/merge-patch+json"
    STRATEGIC = "application/strategic-merge-patch+json"
    JSON = "application/json-patch+json"
    APPLY = "application/apply-patch+yaml"


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One line of a watch stream: ADDED, MODIFIED, DELETED or BOOKMARK, with the raw object."""

    type: str
    object: Obj


def _bool(value: bool) -> str:
    return "true" if value else "false"


class KubeClient:
    """JSON-in, JSON-out access to any resource; see the module docstring."""

    def __init__(self, api_client: Any, *, owns: bool = False) -> None:
        self.api_client = api_client
        self._owns = owns

    @classmethod
    async def from_kubeconfig(cls, path: str | Path | None = None, context: str | None = None) -> KubeClient:
        """Client for a kubeconfig file (default: ``$KUBECONFIG`` or ``~/.kube/config``)."""
        configuration = k8s_client.Configuration()
        if path is None:
            path = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0] or None
        await k8s_config.load_kube_config(
            config_file=str(path) if path else None, context=context, client_configuration=configuration
        )
        return cls.from_configuration(configuration)

    @classmethod
    def in_cluster(cls) -> KubeClient:
        """Client for the pod's service account (token re-read from disk when it rotates)."""
        configuration = k8s_client.Configuration()
        k8s_config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        return cls.from_configuration(configuration)

    @classmethod
    def from_configuration(cls, configuration: Any) -> KubeClient:
        """An owned client for a loaded ``kubernetes_asyncio`` Configuration (proxy read once)."""
        if not configuration.proxy:
            configuration.proxy = _env_proxy(str(configuration.host))
        api_client = k8s_client.ApiClient(configuration=configuration)
        rest = api_client.rest_client
        session: aiohttp.ClientSession = rest.pool_manager
        connector = session.connector
        session.detach()
        rest.pool_manager = aiohttp.ClientSession(
            connector=connector, trust_env=False, read_bufsize=WATCH_READ_BUFFER
        )
        return cls(api_client, owns=True)

    @classmethod
    async def auto(cls, kubeconfig: str | Path | None = None) -> KubeClient:
        """In-cluster config inside a pod (unless a kubeconfig is given or set), else the kubeconfig."""
        if (
            kubeconfig is None
            and not os.environ.get("KUBECONFIG")
            and os.environ.get("KUBERNETES_SERVICE_HOST")
        ):
            return cls.in_cluster()
        return await cls.from_kubeconfig(kubeconfig)

    @property
    def host(self) -> str:
        """The API server URL."""
        return str(self.api_client.configuration.host)

    async def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._owns:
            await self.api_client.close()

    async def __aenter__(self) -> KubeClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ transport

    async def _send(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        timeout: aiohttp.ClientTimeout | None = None,
    ) -> aiohttp.ClientResponse:
        try:
            response: aiohttp.ClientResponse = await self.api_client.call_api(
                path,
                method,
                query_params=list((query or {}).items()),
                header_params={"Accept": "application/json", "Content-Type": content_type},
                body=body,
                auth_settings=["BearerToken"],
                _preload_content=False,
                _request_timeout=timeout
                or aiohttp.ClientTimeout(total=DEFAULT_TIMEOUT, connect=CONNECT_TIMEOUT),
            )
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise TransportError(f"{method} {path}: {exc!r}") from exc
        return response

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> Any:
        """Send one request and return the decoded JSON answer; raises ApiError on non-2xx."""
        response = await self._send(method, path, query=query, body=body, content_type=content_type)
        try:
            data = await response.read()
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise TransportError(f"{method} {path}: {exc!r}") from exc
        finally:
            response.release()
        if not 200 <= response.status < 300:
            raise _decode_error(response.status, data)
        return json.loads(data) if data else None

    # ------------------------------------------------------------------ reads

    async def get(self, resource: Resource, name: str, namespace: str | None = None) -> Obj:
        """One object."""
        result: Obj = await self.request("GET", resource.path(namespace, name))
        return result

    async def list(
        self,
        resource: Resource,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_: str | None = None,
        resource_version: str | None = None,
        resource_version_match: str | None = None,
    ) -> Obj:
        """One page of a LIST (a ``*List`` object with ``metadata.continue`` when there is more).

        Items get ``apiVersion`` and ``kind`` filled in (the server leaves them
        out of list items), so listed and watched objects look the same.
        """
        query: dict[str, str] = {}
        if label_selector:
            query["labelSelector"] = label_selector
        if field_selector:
            query["fieldSelector"] = field_selector
        if limit:
            query["limit"] = str(limit)
        if continue_:
            query["continue"] = continue_
        if resource_version is not None:
            query["resourceVersion"] = resource_version
        if resource_version_match:
            query["resourceVersionMatch"] = resource_version_match
        result: Obj = await self.request("GET", resource.path(namespace), query=query)
        api_version = result.get("apiVersion") or resource.api_version
        for item in result.get("items") or ():
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", resource.kind)
        return result

    async def list_all(
        self,
        resource: Resource,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        page_size: int = 500,
    ) -> tuple[builtins.list[Obj], str]:
        """Every object (following ``continue`` tokens) and the list's resourceVersion."""
        items: builtins.list[Obj] = []
        token: str | None = None
        while True:
            page = await self.list(
                resource,
                namespace,
                label_selector=label_selector,
                field_selector=field_selector,
                limit=page_size,
                continue_=token,
            )
            items.extend(page.get("items") or ())
            meta = page.get("metadata") or {}
            token = meta.get("continue")
            if not token:
                return items, str(meta.get("resourceVersion", ""))

    # ------------------------------------------------------------------ writes

    @staticmethod
    def _namespace_of(obj: Obj, namespace: str | None) -> str | None:
        return namespace or obj.get("metadata", {}).get("namespace")

    async def create(
        self, resource: Resource, obj: Obj, namespace: str | None = None, *, field_manager: str | None = None
    ) -> Obj:
        """POST a new object; raises AlreadyExists if the name is taken."""
        query = {"fieldManager": field_manager} if field_manager else None
        ns = self._namespace_of(obj, namespace) if resource.namespaced else None
        result: Obj = await self.request("POST", resource.path(ns), body=obj, query=query)
        return result

    async def replace(self, resource: Resource, obj: Obj, *, field_manager: str | None = None) -> Obj:
        """PUT the whole object; raises Conflict if ``metadata.resourceVersion`` is stale."""
        meta = obj["metadata"]
        query = {"fieldManager": field_manager} if field_manager else None
        result: Obj = await self.request(
            "PUT", resource.path(meta.get("namespace"), meta["name"]), body=obj, query=query
        )
        return result

    async def delete(
        self,
        resource: Resource,
        name: str,
        namespace: str | None = None,
        *,
        propagation_policy: str | None = None,
        preconditions: Obj | None = None,
        grace_period_seconds: int | None = None,
    ) -> Obj:
        """DELETE an object; returns the server's answer (the object while finalizers run, or a Status)."""
        options: Obj = {"apiVersion": "v1", "kind": "DeleteOptions"}
        if propagation_policy:
            options["propagationPolicy"] = propagation_policy
        if preconditions:
            options["preconditions"] = preconditions
        if grace_period_seconds is not None:
            options["gracePeriodSeconds"] = grace_period_seconds
        result: Obj = await self.request("DELETE", resource.path(namespace, name), body=options)
        return result

    async def patch(
        self,
        resource: Resource,
        name: str,
        patch: Any,
        namespace: str | None = None,
        *,
        patch_type: PatchType = PatchType.MERGE,
        subresource: str | None = None,
        field_manager: str | None = None,
    ) -> Obj:
        """PATCH an object (merge by default; strategic merge only for built-in types)."""
        if patch_type is PatchType.STRATEGIC and not resource.builtin:
            raise ValueError(
                f"{resource.group_resource} is a custom resource: strategic-merge patch unsupported"
            )
        query = {"fieldManager": field_manager} if field_manager else None
        result: Obj = await self.request(
            "PATCH",
            resource.path(namespace, name, subresource),
            body=patch,
            content_type=patch_type.value,
            query=query,
        )
        return result

    async def apply(
        self,
        resource: Resource,
        obj: Obj,
        *,
        field_manager: str,
        force: bool = True,
        subresource: str | None = None,
    ) -> Obj:
        """Server-side apply ``obj`` (which must carry apiVersion, kind and metadata.name).

        ``force`` takes ownership of fields another manager set, which is what a
        controller wants for the children it owns.
        """
        meta = obj["metadata"]
        query = {"fieldManager": field_manager, "force": _bool(force)}
        namespace = meta.get("namespace") if resource.namespaced else None
        result: Obj = await self.request(
            "PATCH",
            resource.path(namespace, meta["name"], subresource),
            body=obj,
            content_type=PatchType.APPLY.value,
            query=query,
        )
        return result

    async def update_status(self, resource: Resource, obj: Obj) -> Obj:
        """PUT the ``status`` subresource; raises Conflict if ``metadata.resourceVersion`` is stale."""
        meta = obj["metadata"]
        result: Obj = await self.request(
            "PUT", resource.path(meta.get("namespace"), meta["name"], "status"), body=obj
        )
        return result

    async def patch_status(
        self,
        resource: Resource,
        name: str,
        patch: Any,
        namespace: str | None = None,
        *,
        patch_type: PatchType = PatchType.MERGE,
    ) -> Obj:
        """PATCH the ``status`` subresource."""
        return await self.patch(resource, name, patch, namespace, patch_type=patch_type, subresource="status")

    # ------------------------------------------------------------------ watch

    async def watch(
        self,
        resource: Resource,
        namespace: str | None = None,
        *,
        resource_version: str | None = None,
        timeout_seconds: int | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        allow_bookmarks: bool = True,
    ) -> AsyncGenerator[WatchEvent, None]:
        """Stream watch events as raw dicts until the server closes the stream.

        ERROR events raise the matching :class:`ApiError` (:class:`Gone` for an
        expired resourceVersion); a broken connection raises :class:`TransportError`.
        Use with ``contextlib.aclosing`` so the connection is released promptly.
        """
        query = {"watch": "true", "allowWatchBookmarks": _bool(allow_bookmarks)}
        if resource_version:
            query["resourceVersion"] = resource_version
        if timeout_seconds is not None:
            query["timeoutSeconds"] = str(timeout_seconds)
        if label_selector:
            query["labelSelector"] = label_selector
        if field_selector:
            query["fieldSelector"] = field_selector
        read_timeout = timeout_seconds + WATCH_READ_GRACE if timeout_seconds is not None else None
        timeout = aiohttp.ClientTimeout(
            connect=CONNECT_TIMEOUT, sock_connect=CONNECT_TIMEOUT, sock_read=read_timeout
        )
        response = await self._send("GET", resource.path(namespace), query=query, timeout=timeout)
        try:
            if response.status != 200:
                try:
                    data = await response.read()
                except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                    raise TransportError(f"watch {resource}: {exc!r}") from exc
                raise _decode_error(response.status, data)
            while True:
                try:
                    line = await response.content.readline()
                except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                    raise TransportError(f"watch {resource}: {exc!r}") from exc
                if not line:
                    return
                if not line.strip():
                    continue
                try:
                    event = json.loads(line)
                except ValueError as exc:
                    # Only a stream cut inside a line produces a partial one.
                    raise TransportError(f"watch {resource}: truncated event") from exc
                event_type = event.get("type")
                obj = event.get("object") or {}
                if event_type == "ERROR":
                    raise error_from_status(int(obj.get("code") or 500), obj)
                yield WatchEvent(str(event_type), obj)
        finally:
            # A half-read stream cannot go back to the pool: drop the connection.
            response.close()


async def retry_on_conflict(fn: Callable[[], Awaitable[R]], *, attempts: int = 5, backoff: float = 0.01) -> R:
    """Call ``fn`` until it does not raise Conflict (at most ``attempts`` times).

    ``fn`` must re-read the object it writes (from the cache or the server) on
    every call, so each attempt is based on fresh state.
    """
    attempt = 0
    while True:
        try:
            return await fn()
        except Conflict:
            attempt += 1
            if attempt >= attempts:
                raise
            await asyncio.sleep(backoff * (2 ** (attempt - 1)))
