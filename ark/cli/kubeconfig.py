"""Which cluster, namespace and user a cluster sub-command uses, resolved as kubectl resolves them.

Interface::

    add_cluster_flags(parser)            # --kubeconfig, --context, -n/--namespace (every cluster command)
    target = resolve_target(args.kubeconfig, args.context, args.namespace)      # raises ConfigError
    target.namespace, target.server, target.user, target.context, target.source
    client = await connect(target)       # a KubeClient (kubernetes_asyncio imported only here)

kubectl's loading rules:

* ``--kubeconfig PATH``: that file only; it must exist.
* else ``$KUBECONFIG``, a colon-separated list; missing files are skipped. For each named cluster,
  user and context the first file defining it wins, and so does the first ``current-context``.
  A relative file path in an entry is relative to the file the entry came from.
* else ``~/.kube/config``.
* none of them, inside a pod (``KUBERNETES_SERVICE_HOST`` and ``_PORT`` set): the pod's service
  account (in-cluster config), namespace from the service account's ``namespace`` file.

The context is ``--context``, else ``current-context``; the namespace ``-n``, else the context's,
else ``default``. The user (what ``ark trigger`` records as ``trigger.source``) is the context's
user entry name; in a pod, the service account (``system:serviceaccount:NS:NAME``); else
``$USER``. Nothing here prints a credential.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from ark.kube.client import KubeClient

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
DEFAULT_NAMESPACE = "default"
_LISTS = ("clusters", "users", "contexts")
# Entry fields holding file paths (client-go's ResolvePaths), per list.
_PATH_FIELDS = {
    "clusters": ("certificate-authority",),
    "users": ("client-certificate", "client-key", "tokenFile"),
}
_POINT_AT_ONE = (
    "point at one with --kubeconfig PATH or KUBECONFIG=PATH (the local cluster: "
    "`make cluster-up`, then export KUBECONFIG=$PWD/.cluster/kubeconfig)"
)


class ConfigError(Exception):
    """No usable cluster configuration; the message says what to do."""


@dataclass(frozen=True)
class ClusterTarget:
    """Everything a command needs to reach the cluster, resolved before any request."""

    namespace: str
    server: str
    user: str | None
    context: str | None
    """``None`` for the in-cluster config."""
    source: str
    """Where the configuration came from, for messages: the kubeconfig file(s) or the service account."""
    config: dict[str, Any] | None = None
    """The merged kubeconfig (``None`` in a pod)."""
    service_account_dir: Path | None = None
    """In a pod: the directory with ``token``, ``ca.crt`` and ``namespace``."""


def add_cluster_flags(parser: argparse.ArgumentParser) -> None:
    """The kubectl flags every cluster sub-command takes."""
    group = parser.add_argument_group("cluster (as kubectl)")
    group.add_argument(
        "--kubeconfig", metavar="PATH", help="kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)"
    )
    group.add_argument("--context", metavar="NAME", help="kubeconfig context (default: current-context)")
    group.add_argument(
        "-n", "--namespace", metavar="NS", help="namespace (default: the context's, else default)"
    )


def kubeconfig_files(flag: str | None, env: Mapping[str, str], home: Path) -> list[Path]:
    """The kubeconfig files to merge, first wins (existing ones only; ``--kubeconfig`` must exist)."""
    if flag:
        path = Path(flag).expanduser()
        if not path.is_file():
            raise ConfigError(f"--kubeconfig {flag}: no such file")
        return [path]
    listed = env.get("KUBECONFIG", "")
    if listed:
        return [Path(item).expanduser() for item in listed.split(os.pathsep) if item and _exists(item)]
    default = home / ".kube" / "config"
    return [default] if default.is_file() else []


def _exists(item: str) -> bool:
    return Path(item).expanduser().is_file()


def _load(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read kubeconfig {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"kubeconfig {path} is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"kubeconfig {path} is not a kubeconfig (a YAML mapping)")
    return data


def _absolute(entry: Mapping[str, Any], fields: Sequence[str], base: Path) -> dict[str, Any]:
    body = dict(entry)
    for name in fields:
        value = body.get(name)
        if isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
            body[name] = str(base / value)
    exec_spec = body.get("exec")
    # client-go resolves an exec command only when it is a relative path, not a bare name on PATH.
    if isinstance(exec_spec, dict):
        command = exec_spec.get("command")
        if isinstance(command, str) and os.sep in command and not Path(command).is_absolute():
            body["exec"] = {**exec_spec, "command": str(base / command)}
    return body


def merge_kubeconfigs(documents: Sequence[tuple[Path, Mapping[str, Any]]]) -> dict[str, Any]:
    """kubectl's merge: the first definition of each named entry wins, and the first current-context."""
    merged: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", **{name: [] for name in _LISTS}}
    seen: dict[str, set[str]] = {name: set() for name in _LISTS}
    for path, document in documents:
        base = path.parent.resolve()
        for name in _LISTS:
            singular = name[:-1]
            for item in document.get(name) or ():
                if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                    raise ConfigError(f"kubeconfig {path}: every entry of {name} needs a name")
                if item["name"] in seen[name]:
                    continue
                seen[name].add(item["name"])
                body = item.get(singular) or {}
                if not isinstance(body, dict):
                    raise ConfigError(f"kubeconfig {path}: {name} {item['name']!r} is not a mapping")
                merged[name].append(
                    {"name": item["name"], singular: _absolute(body, _PATH_FIELDS.get(name, ()), base)}
                )
        current = document.get("current-context")
        if current and "current-context" not in merged:
            merged["current-context"] = current
    return merged


def _named(config: Mapping[str, Any], kind: str, name: str) -> dict[str, Any] | None:
    for item in config.get(kind) or ():
        if item["name"] == name:
            body: dict[str, Any] = item[kind[:-1]]
            return body
    return None


def resolve_target(
    kubeconfig: str | None,
    context: str | None,
    namespace: str | None,
    *,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    service_account_dir: Path = SERVICE_ACCOUNT_DIR,
) -> ClusterTarget:
    """Resolve the flags (and ``env``, default the process environment) as kubectl does."""
    environ = os.environ if env is None else env
    files = kubeconfig_files(kubeconfig, environ, home if home is not None else Path.home())
    if not files:
        if environ.get("KUBERNETES_SERVICE_HOST") and environ.get("KUBERNETES_SERVICE_PORT") and not context:
            return _in_cluster(namespace, environ, service_account_dir)
        looked = f"KUBECONFIG={environ['KUBECONFIG']}" if environ.get("KUBECONFIG") else "~/.kube/config"
        raise ConfigError(f"no kubeconfig found ({looked}): {_POINT_AT_ONE}")
    source = os.pathsep.join(str(path) for path in files)
    merged = merge_kubeconfigs([(path, _load(path)) for path in files])
    names = [item["name"] for item in merged["contexts"]]
    chosen = context or merged.get("current-context")
    if not chosen:
        listing = ", ".join(names) or "none"
        raise ConfigError(
            f"kubeconfig {source} sets no current-context: pass --context (contexts: {listing})"
        )
    body = _named(merged, "contexts", chosen)
    if body is None:
        listing = ", ".join(names) or "none"
        raise ConfigError(f'context "{chosen}" is not in kubeconfig {source} (contexts: {listing})')
    cluster_name = body.get("cluster")
    cluster = _named(merged, "clusters", cluster_name) if isinstance(cluster_name, str) else None
    if cluster is None or not cluster.get("server"):
        raise ConfigError(
            f'context "{chosen}" names cluster "{cluster_name}", which kubeconfig {source} '
            "does not define with a server"
        )
    user = body.get("user") if isinstance(body.get("user"), str) else None
    return ClusterTarget(
        namespace=namespace or body.get("namespace") or DEFAULT_NAMESPACE,
        server=str(cluster["server"]),
        user=user or environ.get("USER") or None,
        context=chosen,
        source=f"kubeconfig {source}",
        config=merged,
    )


def _in_cluster(namespace: str | None, env: Mapping[str, str], directory: Path) -> ClusterTarget:
    host = env["KUBERNETES_SERVICE_HOST"]
    host = f"[{host}]" if ":" in host else host
    if not (directory / "token").is_file():
        raise ConfigError(
            f"running in a pod, but {directory}/token does not exist (automountServiceAccountToken: false?): "
            + _POINT_AT_ONE
        )
    pod_namespace = _read(directory / "namespace")
    return ClusterTarget(
        namespace=namespace or pod_namespace or DEFAULT_NAMESPACE,
        server=f"https://{host}:{env['KUBERNETES_SERVICE_PORT']}",
        user=token_subject(_read(directory / "token") or "") or env.get("USER") or None,
        context=None,
        source=f"the pod's service account ({directory})",
        service_account_dir=directory,
    )


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def token_subject(token: str) -> str | None:
    """The ``sub`` claim of a service account token (``system:serviceaccount:NS:NAME``), unverified."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    subject = claims.get("sub") if isinstance(claims, dict) else None
    return subject if isinstance(subject, str) and subject else None


async def connect(target: ClusterTarget) -> KubeClient:
    """A client for ``target``; raises :class:`ConfigError` when its credentials cannot be loaded."""
    from kubernetes_asyncio import client as k8s_client
    from kubernetes_asyncio import config as k8s_config
    from kubernetes_asyncio.config.incluster_config import InClusterConfigLoader

    from ark.kube.client import KubeClient

    configuration = k8s_client.Configuration()
    try:
        if target.config is not None:
            await k8s_config.load_kube_config_from_dict(
                target.config, context=target.context, client_configuration=configuration
            )
        else:
            assert target.service_account_dir is not None
            url = urlsplit(target.server)
            InClusterConfigLoader(
                token_filename=str(target.service_account_dir / "token"),
                cert_filename=str(target.service_account_dir / "ca.crt"),
                environ={
                    "KUBERNETES_SERVICE_HOST": url.hostname or "",
                    "KUBERNETES_SERVICE_PORT": str(url.port),
                },
            ).load_and_set(configuration)
    except (k8s_config.ConfigException, OSError, ValueError) as exc:
        where = f'context "{target.context}" of {target.source}' if target.context else target.source
        raise ConfigError(f"cannot load the credentials of {where}: {exc}") from None
    return KubeClient.from_configuration(configuration)
