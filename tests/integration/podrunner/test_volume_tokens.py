"""The projected ServiceAccount token volume against the real API server: a token bound to the
pod that authenticates as its ServiceAccount, requested again at 80 % of its lifetime."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from podrunner.volumes import PodVolumes

from ark.kube.client import KubeClient
from ark.kube.resources import CONFIGMAPS, PODS, Resource
from tests.support.wait import wait_for

SERVICE_ACCOUNTS = Resource("", "v1", "serviceaccounts", "ServiceAccount")
ACCESS = {
    "name": "kube-api-access",
    "projected": {
        "sources": [
            {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {
                "downwardAPI": {
                    "items": [{"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}]
                }
            },
        ]
    },
}


async def token_review(kube: KubeClient, token: str) -> dict[str, Any]:
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}}
    review: dict[str, Any] = await kube.request(
        "POST", "/apis/authentication.k8s.io/v1/tokenreviews", body=body
    )
    return review


def claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


async def test_the_token_is_the_pods_service_account_bound_to_the_pod(
    kube: KubeClient, namespace: str, tmp_path: Path
) -> None:
    await kube.create(SERVICE_ACCOUNTS, {"metadata": {"name": "robot"}}, namespace)
    pod = await kube.create(
        PODS,
        {
            "metadata": {"name": "web"},
            "spec": {
                "serviceAccountName": "robot",
                "containers": [{"name": "c", "image": "example.com/none"}],
            },
        },
        namespace,
    )
    # kube-controller-manager publishes kube-root-ca.crt into a new namespace shortly after it exists.
    root_ca = await wait_for(
        lambda: kube.get(CONFIGMAPS, "kube-root-ca.crt", namespace), timeout=30, message="kube-root-ca.crt"
    )
    now = [1000.0]
    volumes = PodVolumes(
        kube,
        {**pod, "spec": {**pod["spec"], "volumes": [ACCESS]}},
        tmp_path / "pod",
        configmap=lambda name: root_ca if name == "kube-root-ca.crt" else None,
        secret=lambda _: None,
        clock=lambda: now[0],
    )
    await volumes.prepare()
    directory = tmp_path / "pod" / "kube-api-access"
    token = (directory / "token").read_text()
    assert (directory / "namespace").read_text() == namespace
    assert (directory / "ca.crt").read_text() == root_ca["data"]["ca.crt"]

    # The API server says who the token is: the pod's ServiceAccount, bound to this pod.
    review = await token_review(kube, token)
    assert review["status"]["authenticated"] is True
    assert review["status"]["user"]["username"] == f"system:serviceaccount:{namespace}:robot"
    assert review["status"]["user"]["extra"]["authentication.kubernetes.io/pod-name"] == ["web"]
    assert claims(token)["kubernetes.io"]["pod"]["uid"] == pod["metadata"]["uid"]  # type: ignore[index]

    # Not due before 80 % of its lifetime; a new token after.
    assert volumes.next_refresh() == 1000.0 + 3607 * 0.8
    await volumes.refresh_tokens()
    assert (directory / "token").read_text() == token
    now[0] += 3607 * 0.8
    await volumes.refresh_tokens()
    renewed = (directory / "token").read_text()
    assert renewed != token
    assert (await token_review(kube, renewed))["status"]["authenticated"] is True
