"""The Helm chart, rendered by the real helm: it lints, its defaults are manifests/default, and each
setting lands where the operator reads it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ark.controllers.agent.deployment import HEALTH_PORT_NAME, agent_labels
from tests.support.helm import Helm

REPO = Path(__file__).resolve().parents[3]
CHART = REPO / "manifests" / "chart" / "ark"
KUBECTL = str(Path(sys.executable).parent / "kubectl")
Obj = dict[str, Any]
Key = tuple[str, str | None, str]


@pytest.fixture
def helm(tmp_path: Path) -> Helm:
    return Helm(tmp_path / "helm-home")


def by_key(stream: str) -> dict[Key, Obj]:
    docs = [d for d in yaml.safe_load_all(stream) if d]
    return {(d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"]): d for d in docs}


def render(helm: Helm, *values: str) -> dict[Key, Obj]:
    sets = [arg for value in values for arg in ("--set", value)]
    return by_key(helm("template", "ark", str(CHART), "-n", "ark-system", "--include-crds", *sets).stdout)


def operator_container(objects: dict[Key, Obj]) -> Obj:
    deployment = objects[("Deployment", "ark-system", "ark-operator")]
    container: Obj = deployment["spec"]["template"]["spec"]["containers"][0]
    return container


def env_of(container: Obj) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def test_helm_lint_passes(helm: Helm) -> None:
    done = helm("lint", str(CHART), "--strict")
    assert "1 chart(s) linted, 0 chart(s) failed" in done.stdout


def test_the_defaults_render_exactly_the_objects_of_manifests_default(helm: Helm) -> None:
    kustomized = by_key(
        subprocess.run(
            [KUBECTL, "kustomize", str(REPO / "manifests" / "default")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    # helm install -n ark-system --create-namespace makes the namespace; the chart does not.
    del kustomized[("Namespace", None, "ark-system")]
    charted = render(helm)
    assert sorted(charted, key=str) == sorted(kustomized, key=str)
    for key, obj in kustomized.items():
        assert charted[key] == obj, f"{key} differs from manifests/default"


def test_image_digest_agents_and_their_environment(helm: Helm) -> None:
    digest = "sha256:" + "a" * 64
    objects = render(
        helm,
        f"image.digest={digest}",
        "image.pullPolicy=IfNotPresent",
        "agentExtraEnv.AGENT_PROVIDER=openai",
        "agentExtraEnv.OPENAI_BASE_URL=http://ollama.models.svc:11434/v1",
        "apiKeys.existingSecret=llm-keys",
        "otlp.endpoint=http://otel-collector.observability.svc:4318",
        "watchNamespaces={team-a,team-b}",
        "logLevel=debug",
    )
    container = operator_container(objects)
    assert container["image"] == f"ghcr.io/arkonis-dev/ark@{digest}"
    assert container["imagePullPolicy"] == "IfNotPresent"
    env = env_of(container)
    assert env["AGENT_IMAGE"] == f"ghcr.io/arkonis-dev/ark@{digest}", "agents run the operator's image"
    assert (
        env["AGENT_EXTRA_ENV"] == "AGENT_PROVIDER=openai\nOPENAI_BASE_URL=http://ollama.models.svc:11434/v1"
    )
    assert env["AGENT_API_KEYS_SECRET"] == "llm-keys"
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector.observability.svc:4318"
    assert env["WATCH_NAMESPACES"] == "team-a,team-b"
    assert env["LOG_LEVEL"] == "debug"
    assert "LEADER_ELECT" not in env


def test_replicas_leader_election_and_an_agent_image_of_its_own(helm: Helm) -> None:
    objects = render(helm, "replicas=2", "leaderElection.enabled=false", "agentImage=example.com/ark:dev")
    deployment = objects[("Deployment", "ark-system", "ark-operator")]
    assert deployment["spec"]["replicas"] == 2
    env = env_of(operator_container(objects))
    assert env["LEADER_ELECT"] == "false"
    assert env["AGENT_IMAGE"] == "example.com/ark:dev"


def test_an_external_task_queue_instead_of_the_bundled_redis(helm: Helm) -> None:
    objects = render(helm, "redis.enabled=false", "taskQueueURL=redis://queue.data.svc:6379/2")
    assert ("Deployment", "ark-system", "redis") not in objects
    assert ("Service", "ark-system", "redis") not in objects
    assert env_of(operator_container(objects))["TASK_QUEUE_URL"] == "redis://queue.data.svc:6379/2"
    refused = subprocess.run(
        [str(helm.binary), "template", "ark", str(CHART), "--set", "redis.enabled=false"],
        env=helm.env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode != 0
    assert "set taskQueueURL or redis.enabled" in refused.stderr


def test_metrics_service_monitor_and_trigger_webhook(helm: Helm) -> None:
    objects = render(
        helm,
        "metrics.serviceMonitor.enabled=true",
        "metrics.serviceMonitor.labels.release=prometheus",
        "triggerWebhook.url=https://ark.example.com",
        "triggerWebhook.service.enabled=true",
    )
    monitor = objects[("ServiceMonitor", "ark-system", "ark-operator")]
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    assert monitor["spec"]["endpoints"] == [{"port": "metrics", "path": "/metrics", "interval": "30s"}]
    assert (
        monitor["spec"]["selector"]["matchLabels"]
        == objects[("Service", "ark-system", "ark-operator-metrics")]["metadata"]["labels"]
    )
    webhook = objects[("Service", "ark-system", "ark-trigger-webhook")]
    assert webhook["spec"]["ports"] == [
        {"name": "webhook", "port": 8092, "targetPort": "webhook", "protocol": "TCP"}
    ]
    container = operator_container(objects)
    assert {"name": "webhook", "containerPort": 8092, "protocol": "TCP"} in container["ports"]
    assert env_of(container)["TRIGGER_WEBHOOK_URL"] == "https://ark.example.com"
    without_service = render(helm, "metrics.service.enabled=false")
    assert ("Service", "ark-system", "ark-operator-metrics") not in without_service
    # Every replica serves webhooks, Service or not (a caller may reach the pods another way).
    without_webhook = render(helm, "triggerWebhook.service.enabled=false")
    assert ("Service", "ark-system", "ark-trigger-webhook") not in without_webhook
    ports = operator_container(without_webhook)["ports"]
    assert {"name": "webhook", "containerPort": 8092, "protocol": "TCP"} in ports


def test_pod_security_resources_and_scheduling(helm: Helm) -> None:
    objects = render(
        helm,
        "resources.limits.memory=1Gi",
        "podSecurityContext.runAsUser=70000",
        "nodeSelector.kubernetes\\.io/os=linux",
        "podAnnotations.example\\.com/team=platform",
    )
    pod = objects[("Deployment", "ark-system", "ark-operator")]["spec"]["template"]
    assert pod["spec"]["securityContext"]["runAsUser"] == 70000
    assert pod["spec"]["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod["metadata"]["annotations"] == {"example.com/team": "platform"}
    assert operator_container(objects)["resources"]["limits"]["memory"] == "1Gi"


def test_the_crds_are_those_of_manifests_crd(helm: Helm) -> None:
    crds = {k: v for k, v in render(helm).items() if k[0] == "CustomResourceDefinition"}
    expected = {
        doc["metadata"]["name"]
        for path in (REPO / "manifests" / "crd").glob("arkonis.dev_*.yaml")
        for doc in [yaml.safe_load(path.read_text())]
    }
    assert {name for _, _, name in crds} == expected


def test_agent_pod_monitor_and_the_alert_rules(helm: Helm) -> None:
    objects = render(helm, "metrics.podMonitor.enabled=true", "metrics.prometheusRule.enabled=true")
    monitor = objects[("PodMonitor", "ark-system", "ark-agents")]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= agent_labels("any").items()
    assert monitor["spec"]["podMetricsEndpoints"] == [
        {"port": HEALTH_PORT_NAME, "path": "/metrics", "interval": "30s"}
    ]
    assert monitor["spec"]["namespaceSelector"] == {"any": True}
    rule = objects[("PrometheusRule", "ark-system", "ark-operator")]
    shipped = yaml.safe_load((REPO / "manifests" / "prometheus" / "ark-rules.yaml").read_text())
    assert rule["spec"] == shipped
    assert "{{ $labels.team }}" in rule["spec"]["groups"][0]["rules"][0]["annotations"]["summary"]
    watched = render(helm, "metrics.podMonitor.enabled=true", "watchNamespaces={team-a,team-b}")
    assert watched[("PodMonitor", "ark-system", "ark-agents")]["spec"]["namespaceSelector"] == {
        "matchNames": ["team-a", "team-b"]
    }
    assert ("PodMonitor", "ark-system", "ark-agents") not in render(helm)
