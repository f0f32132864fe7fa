"""A container's environment, built the way the kubelet builds it (``makeEnvironmentVariables``).

Interface::

    env = kubelet_env(pod, container, configmap=lookup, secret=lookup)   # dict in kubelet order
    env = kubelet_env(pod, container, configmap=..., secret=..., pod_ips=("127.0.0.1",),
                      host_ips=("127.0.0.1",), allocatable=node["status"]["allocatable"])
    expand("$(A)-$$(B)", {"A": "x"}) == "x-$(B)"                          # $(VAR) expansion
    expand_all(["echo", "$(A)"], env)                                     # command and args
    except ContainerConfigError as error: error.message                  # 'secret "keys" not found'

``configmap`` and ``secret`` look an object up by name in the pod's namespace and return it
(as the API serves it) or None. The rules, from kubelet v1.36:

1. ``envFrom`` first, in order: every ``data`` key of the ConfigMap / Secret (Secret values
   base64-decoded), with ``prefix``; a missing object is skipped when ``optional``.
2. Then ``env`` in order, each entry overriding an earlier one of the same name: a non-empty
   ``value`` is expanded with ``$(VAR)`` against everything defined so far; else ``valueFrom``:
   ``fieldRef`` (``metadata.name|namespace|uid``, ``metadata.labels['k']`` /
   ``metadata.annotations['k']`` and the whole maps, ``spec.nodeName``,
   ``spec.serviceAccountName``, ``status.podIP(s)``, ``status.hostIP(s)``), ``resourceFieldRef``
   (requests/limits of cpu, memory, ephemeral-storage with ``divisor``, of this container or
   the one named by ``containerName``; a missing limit is the node's allocatable),
   ``configMapKeyRef`` / ``secretKeyRef`` (skipped when ``optional`` and the object or key is
   missing).
3. Anything else that is missing raises :class:`ContainerConfigError` with the kubelet's
   message; the kubelet reports it as ``waiting.reason: CreateContainerConfigError``.

The service-link variables (``KUBERNETES_SERVICE_HOST`` ...) are the caller's (``service_env``):
cluster IPs are not routable from the host, so the runner says where the API server really is.
Not built: ``fileKeyRef`` (an alpha feature gate).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from ark.api.validation.quantities import parse_quantity

Obj = dict[str, Any]
Lookup = Callable[[str], Obj | None]


class ContainerConfigError(Exception):
    """The container cannot be configured (a missing ConfigMap, Secret or key, a bad reference)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def expand(value: str, env: Mapping[str, str]) -> str:
    """The kubelet's ``$(VAR)`` expansion: defined variables are substituted, ``$$`` is ``$``.

    An undefined reference and an unclosed ``$(`` are kept as written.
    """
    out: list[str] = []
    i = 0
    while i < len(value):
        char = value[i]
        if char != "$" or i + 1 == len(value):
            out.append(char)
            i += 1
            continue
        following = value[i + 1]
        if following == "$":
            out.append("$")
            i += 2
        elif following == "(" and ")" in value[i + 2 :]:
            end = value.index(")", i + 2)
            name = value[i + 2 : end]
            out.append(env[name] if name in env else value[i : end + 1])
            i = end + 1
        else:
            out.append(char + following)
            i += 2
    return "".join(out)


def expand_all(values: Sequence[str], env: Mapping[str, str]) -> list[str]:
    """``command`` or ``args`` expanded as the kubelet expands them (with the final environment)."""
    return [expand(value, env) for value in values]


def _decoded(raw: str) -> str:
    return base64.b64decode(raw).decode("utf-8", errors="surrogateescape")


def _format_map(values: Mapping[str, str]) -> str:
    # fieldpath.FormatMap: sorted key="quoted value" lines.
    return "\n".join(f"{key}={_go_quote(values[key])}" for key in sorted(values))


def _go_quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def _field(pod: Obj, path: str, pod_ips: Sequence[str], host_ips: Sequence[str]) -> str:
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    simple = {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
        "status.podIP": pod_ips[0] if pod_ips else "",
        "status.podIPs": ",".join(pod_ips),
        "status.hostIP": host_ips[0] if host_ips else "",
        "status.hostIPs": ",".join(host_ips),
    }
    if path in simple:
        return str(simple[path])
    for field, key in (("metadata.labels", "labels"), ("metadata.annotations", "annotations")):
        values: dict[str, str] = meta.get(key) or {}
        if path == field:
            return _format_map(values)
        if path.startswith(f"{field}['") and path.endswith("']"):
            return values.get(path[len(field) + 2 : -2], "")
    raise ContainerConfigError(f"unsupported fieldPath: {path}")


def field_value(pod: Obj, path: str) -> str:
    """A ``fieldRef`` of the pod's metadata or spec (a downwardAPI volume item)."""
    return _field(pod, path, (), ())


def _resource(container: Obj, selector: Obj, allocatable: Mapping[str, str]) -> str:
    kind, _, name = str(selector.get("resource", "")).partition(".")
    if kind not in ("requests", "limits") or name not in ("cpu", "memory", "ephemeral-storage"):
        raise ContainerConfigError(f"unsupported container resource : {selector.get('resource')}")
    resources = container.get("resources") or {}
    declared = (resources.get(kind) or {}).get(name)
    if declared is None and kind == "limits":
        declared = allocatable.get(name)
    value = parse_quantity(str(declared)) if declared is not None else Decimal(0)
    divisor = parse_quantity(str(selector.get("divisor") or "1"))
    if value is None or divisor is None or divisor <= 0:
        raise ContainerConfigError(f"invalid quantity in resourceFieldRef {selector}")
    if name == "cpu":
        # Quantity.MilliValue() rounds up, then the kubelet takes the ceiling of the ratio.
        return str(math.ceil(math.ceil(value * 1000) / math.ceil(divisor * 1000)))
    return str(math.ceil(math.ceil(value) / math.ceil(divisor)))


def _named(pod: Obj, container: Obj, selector: Obj) -> Obj:
    name = selector.get("containerName")
    if not name or name == container.get("name"):
        return container
    for candidate in (pod.get("spec") or {}).get("containers") or ():
        if candidate.get("name") == name:
            return dict(candidate)
    raise ContainerConfigError(f"container {name} not found")


def _object(kind: str, name: str, lookup: Lookup, optional: bool) -> Obj | None:
    obj = lookup(name)
    if obj is None and not optional:
        raise ContainerConfigError(f'{kind} "{name}" not found')
    return obj


def _key_ref(kind: str, ref: Obj, namespace: str, lookup: Lookup) -> str | None:
    optional = bool(ref.get("optional"))
    obj = _object(kind.lower(), ref["name"], lookup, optional)
    if obj is None:
        return None
    raw = (obj.get("data") or {}).get(ref["key"])
    if raw is None:
        if optional:
            return None
        raise ContainerConfigError(f"couldn't find key {ref['key']} in {kind} {namespace}/{ref['name']}")
    return _decoded(raw) if kind == "Secret" else str(raw)


def kubelet_env(
    pod: Obj,
    container: Obj,
    *,
    configmap: Lookup,
    secret: Lookup,
    pod_ips: Sequence[str] | None = None,
    host_ips: Sequence[str] | None = None,
    allocatable: Mapping[str, str] | None = None,
    service_env: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment the kubelet gives ``container`` of ``pod`` (see the module docstring).

    ``pod_ips`` / ``host_ips`` default to what the pod's status reports. ``service_env`` are the
    service-link variables (``KUBERNETES_SERVICE_HOST`` ...): ``$(VAR)`` can use them, and they
    are added last, for the names the container does not set itself.
    """
    services = dict(service_env or {})
    status = pod.get("status") or {}
    if pod_ips is None:
        pod_ips = [entry["ip"] for entry in status.get("podIPs") or ()] or (
            [status["podIP"]] if status.get("podIP") else []
        )
    if host_ips is None:
        host_ips = [entry["ip"] for entry in status.get("hostIPs") or ()] or (
            [status["hostIP"]] if status.get("hostIP") else []
        )
    namespace = str((pod.get("metadata") or {}).get("namespace", ""))
    env: dict[str, str] = {}
    for source in container.get("envFrom") or ():
        prefix = source.get("prefix", "")
        if "configMapRef" in source:
            ref, kind, lookup = source["configMapRef"], "configmap", configmap
        else:
            ref, kind, lookup = source["secretRef"], "secret", secret
        obj = _object(kind, ref["name"], lookup, bool(ref.get("optional")))
        for key, raw in ((obj or {}).get("data") or {}).items():
            env[prefix + key] = _decoded(raw) if kind == "secret" else raw
    for var in container.get("env") or ():
        name = var["name"]
        source = var.get("valueFrom")
        value: str | None
        if var.get("value") or source is None:
            value = expand(var.get("value", ""), {**services, **env})
        elif "fieldRef" in source:
            value = _field(pod, source["fieldRef"]["fieldPath"], pod_ips, host_ips)
        elif "resourceFieldRef" in source:
            value = _resource(
                _named(pod, container, source["resourceFieldRef"]),
                source["resourceFieldRef"],
                allocatable or {},
            )
        elif "configMapKeyRef" in source:
            value = _key_ref("ConfigMap", source["configMapKeyRef"], namespace, configmap)
        elif "secretKeyRef" in source:
            value = _key_ref("Secret", source["secretKeyRef"], namespace, secret)
        else:
            raise ContainerConfigError(f"unsupported valueFrom in env var {name}: {sorted(source)}")
        if value is not None:
            env[name] = value
    for name, value in services.items():
        env.setdefault(name, value)
    return env
