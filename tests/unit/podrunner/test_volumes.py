"""A pod's volumes as the kubelet materialises them (sources other than tokens: no API needed)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from podrunner.env import ContainerConfigError
from podrunner.sandbox import Mount
from podrunner.volumes import PodVolumes, pod_directory

from ark.kube.client import KubeClient

Obj = dict[str, Any]
CONFIGMAPS: dict[str, Obj] = {
    "settings": {
        "data": {"mode": "fast", "level": "debug"},
        "binaryData": {"blob": base64.b64encode(b"\0\1").decode()},
    },
    "kube-root-ca.crt": {"data": {"ca.crt": "-----BEGIN CERTIFICATE-----"}},
}
SECRETS: dict[str, Obj] = {"keys": {"data": {"token": base64.b64encode(b"s3cret").decode()}}}


def pod(*volumes: Obj) -> Obj:
    return {
        "metadata": {"name": "web-1", "namespace": "team", "uid": "u-1", "labels": {"app": "web"}},
        "spec": {"volumes": list(volumes), "containers": []},
    }


def volumes_of(tmp_path: Path, *volumes: Obj) -> PodVolumes:
    # The client is only used for ServiceAccount tokens (tests/integration/podrunner).
    return PodVolumes(
        KubeClient(None), pod(*volumes), tmp_path / "u-1", configmap=CONFIGMAPS.get, secret=SECRETS.get
    )


def files(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()
    }


async def test_empty_dir_config_map_and_secret(tmp_path: Path) -> None:
    volumes = volumes_of(
        tmp_path,
        {"name": "data", "emptyDir": {}},
        {"name": "conf", "configMap": {"name": "settings"}},
        {
            "name": "one",
            "configMap": {"name": "settings", "items": [{"key": "mode", "path": "sub/mode.txt"}]},
        },
        {"name": "keys", "secret": {"secretName": "keys"}},
    )
    await volumes.prepare()
    root = tmp_path / "u-1"
    assert (root / "data").is_dir()
    assert list((root / "data").iterdir()) == []
    assert files(root / "conf") == {"blob": b"\0\1", "level": b"debug", "mode": b"fast"}
    assert files(root / "one") == {"sub/mode.txt": b"fast"}
    assert files(root / "keys") == {"token": b"s3cret"}


async def test_an_empty_dir_keeps_its_content_across_prepares(tmp_path: Path) -> None:
    volumes = volumes_of(tmp_path, {"name": "data", "emptyDir": {}})
    await volumes.prepare()
    (tmp_path / "u-1" / "data" / "appendonly.aof").write_text("x")
    await volumes.prepare()
    assert (tmp_path / "u-1" / "data" / "appendonly.aof").read_text() == "x"
    volumes.remove()
    assert not (tmp_path / "u-1").exists()


async def test_downward_api_and_projected_sources(tmp_path: Path) -> None:
    volumes = volumes_of(
        tmp_path,
        {
            "name": "info",
            "projected": {
                "sources": [
                    {
                        "configMap": {
                            "name": "kube-root-ca.crt",
                            "items": [{"key": "ca.crt", "path": "ca.crt"}],
                        }
                    },
                    {
                        "downwardAPI": {
                            "items": [{"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}]
                        }
                    },
                    {"secret": {"name": "missing", "optional": True}},
                ]
            },
        },
        {
            "name": "labels",
            "downwardAPI": {"items": [{"path": "app", "fieldRef": {"fieldPath": "metadata.labels['app']"}}]},
        },
    )
    await volumes.prepare()
    assert files(tmp_path / "u-1" / "info") == {
        "ca.crt": b"-----BEGIN CERTIFICATE-----",
        "namespace": b"team",
    }
    assert files(tmp_path / "u-1" / "labels") == {"app": b"web"}
    assert volumes.next_refresh() is None


@pytest.mark.parametrize(
    ("volume", "message"),
    [
        ({"name": "c", "configMap": {"name": "nope"}}, 'configmap "nope" not found'),
        ({"name": "s", "secret": {"secretName": "nope"}}, 'secret "nope" not found'),
        (
            {"name": "c", "configMap": {"name": "settings", "items": [{"key": "absent", "path": "a"}]}},
            "non-existent config key: absent",
        ),
        ({"name": "h", "hostPath": {"path": "/etc"}}, "['hostPath'] volumes are not supported"),
        (
            {"name": "c", "configMap": {"name": "settings", "items": [{"key": "mode", "path": "../escape"}]}},
            "invalid volume path '../escape'",
        ),
    ],
)
async def test_what_cannot_be_mounted_blocks_the_start_with_a_reason(
    tmp_path: Path, volume: Obj, message: str
) -> None:
    with pytest.raises(ContainerConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        await volumes_of(tmp_path, volume).prepare()
    assert not (tmp_path / "escape").exists()


def test_volume_mounts_become_bind_mounts(tmp_path: Path) -> None:
    volumes = volumes_of(
        tmp_path, {"name": "data", "emptyDir": {}}, {"name": "conf", "configMap": {"name": "settings"}}
    )
    container = {
        "name": "c",
        "volumeMounts": [
            {"name": "data", "mountPath": "/data"},
            {"name": "conf", "mountPath": "/etc/app/mode", "subPath": "mode", "readOnly": True},
        ],
    }
    root = tmp_path / "u-1"
    assert volumes.mounts(container) == [
        Mount(str(root / "data"), "/data", read_only=False),
        Mount(str(root / "conf" / "mode"), "/etc/app/mode", read_only=True),
    ]
    with pytest.raises(ContainerConfigError, match="volume other not found"):
        volumes.mounts({"name": "c", "volumeMounts": [{"name": "other", "mountPath": "/x"}]})


def test_each_pod_has_its_own_directory(tmp_path: Path) -> None:
    assert pod_directory(tmp_path, pod()) == tmp_path / "u-1"
