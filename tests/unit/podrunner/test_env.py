"""The environment the pod runner gives a container is the one the kubelet would build."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from podrunner.env import ContainerConfigError, expand, expand_all, kubelet_env

Obj = dict[str, Any]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


CONFIGMAPS: dict[str, Obj] = {
    "settings": {"metadata": {"name": "settings"}, "data": {"MODE": "fast", "LEVEL": "debug"}},
}
SECRETS: dict[str, Obj] = {
    "keys": {"metadata": {"name": "keys"}, "data": {"OPENAI_API_KEY": b64("sk-1"), "MODE": b64("secret")}},
}


def pod(*containers: Obj, **status: Any) -> Obj:
    return {
        "metadata": {
            "name": "web-1",
            "namespace": "team",
            "uid": "u-1",
            "labels": {"app": "web", "tier": "a b"},
            "annotations": {"note": 'say "hi"'},
        },
        "spec": {"nodeName": "kwok-node-0", "serviceAccountName": "robot", "containers": list(containers)},
        "status": status,
    }


def env_of(container: Obj, **kwargs: Any) -> dict[str, str]:
    return kubelet_env(
        pod(container, **kwargs.pop("status", {})),
        container,
        configmap=CONFIGMAPS.get,
        secret=SECRETS.get,
        **kwargs,
    )


def test_expansion_follows_the_kubelet() -> None:
    env = {"A": "x", "EMPTY": ""}
    assert expand("$(A)-$(EMPTY)-$(MISSING)", env) == "x--$(MISSING)"
    assert expand("$$(A) costs $$5 or $5, $", env) == "$(A) costs $5 or $5, $"
    assert expand("$(A", env) == "$(A"
    assert expand("$(A)$(A)", env) == "xx"
    assert expand_all(["run", "--name=$(A)"], env) == ["run", "--name=x"]


def test_env_from_comes_first_with_prefixes_and_env_overrides_it() -> None:
    container = {
        "name": "c",
        "envFrom": [
            {"configMapRef": {"name": "settings"}},
            {"secretRef": {"name": "keys"}, "prefix": "S_"},
            {"secretRef": {"name": "absent", "optional": True}},
        ],
        "env": [{"name": "LEVEL", "value": "info"}, {"name": "BOTH", "value": "$(MODE)/$(S_MODE)"}],
    }
    assert env_of(container) == {
        "MODE": "fast",
        "LEVEL": "info",
        "S_OPENAI_API_KEY": "sk-1",
        "S_MODE": "secret",
        "BOTH": "fast/secret",
    }


def test_a_value_sees_only_what_is_defined_before_it() -> None:
    container = {
        "name": "c",
        "env": [
            {"name": "LATER", "value": "$(FIRST)-$(SECOND)"},
            {"name": "FIRST", "value": "1"},
            {"name": "SECOND", "value": "$(FIRST)2"},
            {"name": "BLANK", "value": ""},
        ],
    }
    assert env_of(container) == {"LATER": "$(FIRST)-$(SECOND)", "FIRST": "1", "SECOND": "12", "BLANK": ""}


def test_key_references_and_their_optional_forms() -> None:
    container = {
        "name": "c",
        "env": [
            {"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "keys", "key": "OPENAI_API_KEY"}}},
            {"name": "M", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "MODE"}}},
            {"name": "NO", "valueFrom": {"secretKeyRef": {"name": "absent", "key": "k", "optional": True}}},
            {
                "name": "NOKEY",
                "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "x", "optional": True}},
            },
        ],
    }
    assert env_of(container) == {"KEY": "sk-1", "M": "fast"}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"envFrom": [{"secretRef": {"name": "llm-credentials"}}]}, 'secret "llm-credentials" not found'),
        ({"envFrom": [{"configMapRef": {"name": "nope"}}]}, 'configmap "nope" not found'),
        (
            {"env": [{"name": "K", "valueFrom": {"secretKeyRef": {"name": "keys", "key": "TOKEN"}}}]},
            "couldn't find key TOKEN in Secret team/keys",
        ),
        (
            {"env": [{"name": "K", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "X"}}}]},
            "couldn't find key X in ConfigMap team/settings",
        ),
        (
            {"env": [{"name": "K", "valueFrom": {"configMapKeyRef": {"name": "gone", "key": "X"}}}]},
            'configmap "gone" not found',
        ),
        (
            {"env": [{"name": "K", "valueFrom": {"fieldRef": {"fieldPath": "spec.hostname"}}}]},
            "unsupported fieldPath: spec.hostname",
        ),
    ],
)
def test_what_the_kubelet_refuses_is_a_config_error_with_its_message(entry: Obj, message: str) -> None:
    with pytest.raises(ContainerConfigError) as error:
        env_of({"name": "c", **entry})
    assert error.value.message == message


def test_field_references() -> None:
    paths = {
        "NAME": "metadata.name",
        "NS": "metadata.namespace",
        "UID": "metadata.uid",
        "APP": "metadata.labels['app']",
        "NONE": "metadata.labels['missing']",
        "LABELS": "metadata.labels",
        "NOTE": "metadata.annotations['note']",
        "NOTES": "metadata.annotations",
        "NODE": "spec.nodeName",
        "SA": "spec.serviceAccountName",
        "IP": "status.podIP",
        "IPS": "status.podIPs",
        "HOST": "status.hostIP",
    }
    container = {
        "name": "c",
        "env": [{"name": n, "valueFrom": {"fieldRef": {"fieldPath": p}}} for n, p in paths.items()],
    }
    assert env_of(container, pod_ips=("127.0.0.1", "::1"), host_ips=("127.0.0.1",)) == {
        "NAME": "web-1",
        "NS": "team",
        "UID": "u-1",
        "APP": "web",
        "NONE": "",
        "LABELS": 'app="web"\ntier="a b"',
        "NOTE": 'say "hi"',
        "NOTES": 'note="say \\"hi\\""',
        "NODE": "kwok-node-0",
        "SA": "robot",
        "IP": "127.0.0.1",
        "IPS": "127.0.0.1,::1",
        "HOST": "127.0.0.1",
    }


def test_addresses_default_to_what_the_pod_status_reports() -> None:
    container = {
        "name": "c",
        "env": [{"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
    }
    assert env_of(container, status={"podIP": "10.0.0.7"}) == {"IP": "10.0.0.7"}
    assert env_of(container) == {"IP": ""}


def test_resource_references_round_up_and_fall_back_to_the_node() -> None:
    def ref(resource: str, divisor: str | None = None, container: str | None = None) -> Obj:
        selector: Obj = {"resource": resource}
        if divisor:
            selector["divisor"] = divisor
        if container:
            selector["containerName"] = container
        return {"resourceFieldRef": selector}

    container = {
        "name": "c",
        "resources": {"requests": {"cpu": "250m", "memory": "100Mi"}, "limits": {"cpu": "1500m"}},
        "env": [
            {"name": "CPU", "valueFrom": ref("limits.cpu")},
            {"name": "MCPU", "valueFrom": ref("requests.cpu", "1m")},
            {"name": "MEM_MI", "valueFrom": ref("requests.memory", "1Mi")},
            {"name": "MEM_LIMIT", "valueFrom": ref("limits.memory", "1Gi")},
            {"name": "STORAGE", "valueFrom": ref("requests.ephemeral-storage")},
            {"name": "OTHER", "valueFrom": ref("limits.cpu", "1m", container="side")},
        ],
    }
    side = {"name": "side", "resources": {"limits": {"cpu": "2"}}}
    env = kubelet_env(
        pod(container, side),
        container,
        configmap=CONFIGMAPS.get,
        secret=SECRETS.get,
        allocatable={"cpu": "4", "memory": "8Gi"},
    )
    assert env == {
        "CPU": "2",
        "MCPU": "250",
        "MEM_MI": "100",
        "MEM_LIMIT": "8",
        "STORAGE": "0",
        "OTHER": "2000",
    }
    bad = {"name": "c", "env": [{"name": "X", "valueFrom": ref("limits.gpu")}]}
    with pytest.raises(ContainerConfigError, match=r"^unsupported container resource : limits\.gpu$"):
        env_of(bad)


def test_service_links_are_usable_and_never_override_the_container() -> None:
    container = {
        "name": "c",
        "env": [
            {"name": "API", "value": "https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)"},
            {"name": "KUBERNETES_SERVICE_PORT", "value": "6443"},
        ],
    }
    services = {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "36001"}
    assert env_of(container, service_env=services) == {
        "API": "https://127.0.0.1:36001",
        "KUBERNETES_SERVICE_PORT": "6443",
        "KUBERNETES_SERVICE_HOST": "127.0.0.1",
    }
