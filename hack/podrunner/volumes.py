"""A pod's volumes, materialised as the kubelet's volume manager does, in a directory of the pod.

Interface::

    volumes = PodVolumes(client, pod, directory, configmap=lookup, secret=lookup)
    await volumes.prepare()          # ContainerConfigError when a source is missing (retried later)
    volumes.mounts(container)        # [sandbox.Mount] for the container's volumeMounts
    await volumes.refresh_tokens()   # re-request every token past 80 % of its lifetime
    volumes.next_refresh()           # monotonic time of the next one, or None
    volumes.remove()                 # the pod is gone: its emptyDirs and tokens go with it

Kinds (others are a start error naming the kind):

* ``emptyDir``: an empty directory, kept across container restarts, removed with the pod;
* ``configMap`` / ``secret``: a file per key (or per ``items`` entry, at its ``path``);
* ``downwardAPI``: ``fieldRef`` items (``metadata.name``, ``namespace``, ``uid``, labels,
  annotations);
* ``projected``: the sources above plus ``serviceAccountToken``, a token from the TokenRequest
  API for the pod's ServiceAccount, bound to the pod (``boundObjectRef``), with the source's
  ``audience`` and ``expirationSeconds``. This is the ``kube-api-access-*`` volume the
  ServiceAccount admission plugin adds to every pod that automounts its token: ``token``,
  ``ca.crt`` (ConfigMap ``kube-root-ca.crt``) and ``namespace``, mounted at
  ``/var/run/secrets/kubernetes.io/serviceaccount``. As the kubelet, the runner requests a new
  token once 80 % of its lifetime has passed; files are replaced atomically (rename), so a
  reader never sees half a token.
"""

from __future__ import annotations

import base64
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ark.kube.client import ApiError, KubeClient, TransportError
from podrunner.env import ContainerConfigError, Lookup, field_value
from podrunner.sandbox import Mount

Obj = dict[str, Any]
DEFAULT_TOKEN_SECONDS = 3600
REFRESH_FRACTION = 0.8
Clock = Callable[[], float]


def _write(directory: Path, relative: str, content: bytes) -> None:
    path = directory / relative
    if ".." in Path(relative).parts or Path(relative).is_absolute():
        raise ContainerConfigError(f"invalid volume path {relative!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.tmp")
    partial.write_bytes(content)
    partial.replace(path)


def _items(data: dict[str, bytes], items: list[Obj] | None, what: str, optional: bool) -> dict[str, bytes]:
    if not items:
        return data
    files: dict[str, bytes] = {}
    for item in items:
        if item["key"] in data:
            files[item["path"]] = data[item["key"]]
        elif not optional:
            raise ContainerConfigError(
                f"configmap references non-existent config key: {item['key']} ({what})"
            )
    return files


class PodVolumes:
    """The volumes of one pod (see the module docstring)."""

    def __init__(
        self,
        client: KubeClient,
        pod: Obj,
        directory: Path,
        *,
        configmap: Lookup,
        secret: Lookup,
        clock: Clock = time.monotonic,
    ) -> None:
        self.client = client
        self.pod = pod
        self.directory = directory
        self.configmap = configmap
        self.secret = secret
        self.clock = clock
        self._tokens: dict[Path, tuple[Path, Obj, float]] = {}
        """token file -> (its volume's directory, the source, monotonic time it is due again)."""

    @property
    def _namespace(self) -> str:
        return str(self.pod["metadata"]["namespace"])

    def _volume_dir(self, name: str) -> Path:
        return self.directory / name

    # ------------------------------------------------------------------ sources

    def _object_data(self, kind: str, ref: Obj) -> dict[str, bytes] | None:
        lookup = self.configmap if kind == "configmap" else self.secret
        obj = lookup(ref["name"])
        if obj is None:
            if ref.get("optional"):
                return None
            raise ContainerConfigError(f'{kind} "{ref["name"]}" not found')
        if kind == "secret":
            return {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
        data = {k: str(v).encode() for k, v in (obj.get("data") or {}).items()}
        data.update({k: base64.b64decode(v) for k, v in (obj.get("binaryData") or {}).items()})
        return data

    def _object_files(self, kind: str, source: Obj) -> dict[str, bytes]:
        name_field = "name" if kind == "configmap" else "secretName"
        ref = {"name": source.get(name_field) or source.get("name"), "optional": source.get("optional")}
        data = self._object_data(kind, ref)
        if data is None:
            return {}
        return _items(data, source.get("items"), f"{kind} {ref['name']}", bool(source.get("optional")))

    def _downward_files(self, source: Obj) -> dict[str, bytes]:
        files = {}
        for item in source.get("items") or ():
            if "fieldRef" not in item:
                raise ContainerConfigError(f"downwardAPI item {item.get('path')}: only fieldRef is supported")
            files[item["path"]] = field_value(self.pod, item["fieldRef"]["fieldPath"]).encode()
        return files

    async def _token(self, source: Obj) -> bytes:
        spec = self.pod.get("spec") or {}
        meta = self.pod["metadata"]
        account = spec.get("serviceAccountName") or "default"
        request: Obj = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {
                "expirationSeconds": int(source.get("expirationSeconds") or DEFAULT_TOKEN_SECONDS),
                "boundObjectRef": {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "name": meta["name"],
                    "uid": meta["uid"],
                },
            },
        }
        if source.get("audience"):
            request["spec"]["audiences"] = [source["audience"]]
        path = f"/api/v1/namespaces/{self._namespace}/serviceaccounts/{account}/token"
        try:
            answer = await self.client.request("POST", path, body=request)
        except (ApiError, TransportError) as error:
            raise ContainerConfigError(f"failed to fetch token: {error}") from error
        return str(answer["status"]["token"]).encode()

    # ------------------------------------------------------------------ lifecycle

    async def prepare(self) -> None:
        """Write every volume of the pod (emptyDirs once; the rest each time, as sources may change)."""
        for volume in (self.pod.get("spec") or {}).get("volumes") or ():
            target = self._volume_dir(volume["name"])
            if "emptyDir" in volume:
                target.mkdir(parents=True, exist_ok=True)
            elif "configMap" in volume:
                self._fill(target, self._object_files("configmap", volume["configMap"]))
            elif "secret" in volume:
                self._fill(target, self._object_files("secret", volume["secret"]))
            elif "downwardAPI" in volume:
                self._fill(target, self._downward_files(volume["downwardAPI"]))
            elif "projected" in volume:
                await self._projected(target, volume["projected"])
            else:
                kinds = sorted(set(volume) - {"name"})
                raise ContainerConfigError(f"volume {volume['name']}: {kinds} volumes are not supported here")

    def _fill(self, target: Path, files: dict[str, bytes]) -> None:
        target.mkdir(parents=True, exist_ok=True)
        for relative, content in files.items():
            _write(target, relative, content)

    async def _projected(self, target: Path, projected: Obj) -> None:
        files: dict[str, bytes] = {}
        for source in projected.get("sources") or ():
            if "configMap" in source:
                files.update(self._object_files("configmap", source["configMap"]))
            elif "secret" in source:
                files.update(self._object_files("secret", source["secret"]))
            elif "downwardAPI" in source:
                files.update(self._downward_files(source["downwardAPI"]))
            elif "serviceAccountToken" in source:
                token = source["serviceAccountToken"]
                files[token["path"]] = await self._token(token)
                lifetime = float(token.get("expirationSeconds") or DEFAULT_TOKEN_SECONDS)
                due = self.clock() + lifetime * REFRESH_FRACTION
                self._tokens[target / token["path"]] = (target, token, due)
            else:
                raise ContainerConfigError(f"projected source {sorted(source)} is not supported here")
        self._fill(target, files)

    def next_refresh(self) -> float | None:
        """When the next token is due (monotonic), or None without tokens."""
        return min((due for _, _, due in self._tokens.values()), default=None)

    async def refresh_tokens(self) -> None:
        """Re-request every token that is due; one that cannot be had now is retried at the next call."""
        now = self.clock()
        for file, (target, source, due) in list(self._tokens.items()):
            if due > now:
                continue
            _write(target, source["path"], await self._token(source))
            lifetime = float(source.get("expirationSeconds") or DEFAULT_TOKEN_SECONDS)
            self._tokens[file] = (target, source, now + lifetime * REFRESH_FRACTION)

    def mounts(self, container: Obj) -> list[Mount]:
        """The container's ``volumeMounts`` as bind mounts of the volumes' directories."""
        mounts = []
        declared = {v["name"] for v in (self.pod.get("spec") or {}).get("volumes") or ()}
        for mount in container.get("volumeMounts") or ():
            if mount["name"] not in declared:
                raise ContainerConfigError(f"volume {mount['name']} not found")
            source = self._volume_dir(mount["name"])
            if mount.get("subPath"):
                source = source / mount["subPath"]
            mounts.append(Mount(str(source), str(mount["mountPath"]), bool(mount.get("readOnly"))))
        return mounts

    def remove(self) -> None:
        """Delete the pod's volume directory."""
        shutil.rmtree(self.directory, ignore_errors=True)
        self._tokens.clear()


def pod_directory(root: Path, pod: Obj) -> Path:
    """Where the runner keeps one pod's volumes: ``<root>/<uid>``."""
    return root / str(pod["metadata"]["uid"])
