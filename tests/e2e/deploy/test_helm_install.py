"""`helm install` of manifests/chart/ark on the local cluster: the operator and Redis run as pods,
a sample team runs to Succeeded, `helm uninstall` (and the CRDs, which helm never deletes) leave
nothing behind. And the real API server accepts what both install paths render."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.deploy.conftest import REPO, Shell
from tests.e2e.deploy.test_make_deploy import NAMESPACE, objects, operator_pod
from tests.support.helm import Helm
from tests.support.wait import wait_for_sync

CHART = REPO / "manifests" / "chart" / "ark"


def test_helm_install_runs_a_team_and_uninstall_removes_it(shell: Shell, tmp_path: Path) -> None:
    helm = Helm(tmp_path / "helm-home", shell.kubeconfig)
    installed = helm(
        "install",
        "ark",
        str(CHART),
        "-n",
        NAMESPACE,
        "--create-namespace",
        "--set",
        "agentExtraEnv.AGENT_PROVIDER=mock",
        "--wait",
        "--timeout",
        "180s",
    )
    assert "STATUS: deployed" in installed.stdout
    assert "kubectl -n ark-system rollout status deployment/ark-operator" in installed.stdout

    pod = operator_pod(shell)
    assert pod["status"]["containerStatuses"][0]["ready"] is True
    assert pod["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "ark"
    log = shell.runner.pod_log(NAMESPACE, pod["metadata"]["name"])
    assert '"agent_env": ["AGENT_PROVIDER"]' in log

    shell.kubectl("create", "secret", "generic", "llm-credentials")
    shell.kubectl("apply", "-f", str(REPO / "manifests" / "samples" / "team-pipeline.yaml"))
    run = shell.run(
        "ark",
        "trigger",
        "recipe-planner",
        "--input",
        "dish=pea soup",
        "--sync",
        "--timeout",
        "120s",
        "-o",
        "json",
    )
    assert json.loads(run.stdout)["phase"] == "Succeeded", run.stderr

    # The team goes first (foreground: its agents, Deployments and pods with it), then the release,
    # then the CRDs that helm installs but never removes.
    shell.kubectl("delete", "arkteam", "--all", "-A", "--cascade=foreground")
    helm("uninstall", "ark", "-n", NAMESPACE, "--wait")
    shell.kubectl("delete", "-f", str(CHART / "crds"))
    shell.kubectl("delete", "namespace", NAMESPACE, "--wait=true")
    shell.kubectl("delete", "secret", "llm-credentials")
    for kind in ("clusterrole", "clusterrolebinding"):
        assert shell.kubectl("get", kind, "ark-operator", check=False).returncode != 0
    wait_for_sync(lambda: objects(shell, "pods", "-A") == [], timeout=120, message="every pod gone")


def test_the_api_server_accepts_both_install_paths(shell: Shell, tmp_path: Path) -> None:
    helm = Helm(tmp_path / "helm-home", shell.kubeconfig)
    rendered = helm("template", "ark", str(CHART), "-n", NAMESPACE, "--include-crds").stdout
    kustomized = shell.kubectl("kustomize", str(REPO / "manifests" / "default")).stdout
    # The namespaced objects need their namespace to exist, even for a dry run.
    shell.kubectl("create", "namespace", NAMESPACE)
    try:
        for name, manifest in (("helm template", rendered), ("kubectl kustomize", kustomized)):
            checked = shell.kubectl("apply", "--server-side", "--dry-run=server", "-f", "-", input=manifest)
            lines = [line for line in checked.stdout.splitlines() if line.strip()]
            assert lines, name
            assert all(line.endswith("serverside-applied (server dry run)") for line in lines), (name, lines)
            assert any(line.startswith("deployment.apps/ark-operator") for line in lines), name
        assert [c for c in objects(shell, "crd") if c["spec"]["group"] == "arkonis.dev"] == [], "dry run only"
    finally:
        shell.kubectl("delete", "namespace", NAMESPACE, "--wait=true")
