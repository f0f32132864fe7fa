"""`make deploy` on the local cluster: the operator and Redis run as pods of manifests/default, the
operator under its own ServiceAccount with its RBAC enforced, a sample team runs to Succeeded, and
`make undeploy` leaves nothing behind."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.deploy.conftest import REPO, Shell
from tests.support.wait import wait_for_sync

NAMESPACE = "ark-system"
ACCOUNT = f"system:serviceaccount:{NAMESPACE}:ark-operator"
PROBE_AGENT = """\
apiVersion: arkonis.dev/v1alpha1
kind: ArkAgent
metadata: {name: rbac-probe}
spec: {model: mock, systemPrompt: "You answer."}
"""


def objects(shell: Shell, *args: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads(shell.kubectl("get", *args, "-o", "json").stdout)["items"]
    return items


def ready_condition(shell: Shell, agent: str) -> dict[str, Any]:
    found = objects(shell, "arkagent", "--field-selector", f"metadata.name={agent}")
    conditions = (found[0].get("status") or {}).get("conditions") or [] if found else []
    return next((c for c in conditions if c["type"] == "Ready"), {})


def operator_pod(shell: Shell) -> dict[str, Any]:
    (pod,) = objects(shell, "pods", "-n", NAMESPACE, "-l", "app.kubernetes.io/name=ark-operator")
    return pod


def test_make_deploy_runs_a_team_in_cluster_and_make_undeploy_removes_everything(shell: Shell) -> None:
    deployed = shell.run("make", "--no-print-directory", "deploy", "AGENT_ENV=AGENT_PROVIDER=mock")
    assert 'deployment "ark-operator" successfully rolled out' in deployed.stdout
    assert "ark is running in namespace ark-system" in deployed.stdout
    assert "kubectl apply -f manifests/samples/team-pipeline.yaml" in deployed.stdout

    # The operator is a pod the runner really runs (a process), with the in-cluster configuration:
    # it talks to the API server the service-link variables name, with the pod's token.
    pod = operator_pod(shell)
    assert pod["spec"]["serviceAccountName"] == "ark-operator"
    status = pod["status"]["containerStatuses"][0]
    assert status["ready"] is True
    assert status["containerID"].startswith("podrunner://")
    log = shell.runner.pod_log(NAMESPACE, pod["metadata"]["name"])
    assert f'"api_server": "{shell_server(shell)}"' in log
    assert '"task_queue": "redis://redis.ark-system.svc.cluster.local:6379/0"' in log
    lease = json.loads(shell.kubectl("get", "lease", "ark-operator", "-n", NAMESPACE, "-o", "json").stdout)
    assert lease["spec"]["holderIdentity"].startswith(pod["metadata"]["name"] + "_"), (
        "its hostname is the pod's"
    )

    # A sample team applied afterwards runs to Succeeded: agents reach Redis through its Service.
    shell.kubectl("create", "secret", "generic", "llm-credentials")
    shell.kubectl("apply", "-f", str(REPO / "manifests" / "samples" / "team-pipeline.yaml"))
    run = shell.run(
        "ark",
        "trigger",
        "recipe-planner",
        "--input",
        "dish=tomato soup",
        "--sync",
        "--timeout",
        "120s",
        "-o",
        "json",
    )
    result = json.loads(run.stdout)
    assert result["phase"] == "Succeeded", run.stderr
    assert {s["name"] for s in result["steps"]} >= {"chef", "critic", "nutritionist"}

    # The API server enforces the operator's RBAC on the operator's own identity: with the
    # ClusterRole no longer granting create/patch on Deployments, a new agent's Deployment is
    # refused, and the agent's Ready condition names the ServiceAccount.
    role = json.loads(shell.kubectl("get", "clusterrole", "ark-operator", "-o", "json").stdout)
    for rule in role["rules"]:
        if "deployments" in rule["resources"]:
            rule["verbs"] = ["list", "watch"]
    shell.kubectl("replace", "-f", "-", input=json.dumps(role))
    shell.kubectl("apply", "-f", "-", input=PROBE_AGENT)
    refused = wait_for_sync(
        lambda: ACCOUNT in ready_condition(shell, "rbac-probe").get("message", ""),
        timeout=90,
        message="the agent's Ready condition naming the refused ServiceAccount",
    )
    assert refused
    assert shell.kubectl("get", "deployment", "rbac-probe-agent", check=False).returncode != 0
    shell.run("make", "--no-print-directory", "deploy", "AGENT_ENV=AGENT_PROVIDER=mock")
    wait_for_sync(
        lambda: ready_condition(shell, "rbac-probe").get("status") == "True",
        timeout=90,
        message="the agent Ready once make deploy has put the ClusterRole back",
    )

    # make undeploy: the namespace, CRDs, cluster-wide RBAC go; the ark objects with the CRDs, and
    # the garbage collector takes their Deployments, so no pod is left running.
    undeployed = shell.run("make", "--no-print-directory", "undeploy")
    assert 'namespace "ark-system" deleted' in undeployed.stdout
    assert shell.kubectl("get", "namespace", NAMESPACE, check=False).returncode != 0
    assert [c for c in objects(shell, "crd") if c["spec"]["group"] == "arkonis.dev"] == []
    for kind in ("clusterrole", "clusterrolebinding"):
        assert shell.kubectl("get", kind, "ark-operator", check=False).returncode != 0
    wait_for_sync(
        # The runner deletes a pod only once its process has exited.
        lambda: objects(shell, "pods", "-A") == [],
        timeout=120,
        message="every pod gone (its process stopped)",
    )


def shell_server(shell: Shell) -> str:
    config = shell.kubectl("config", "view", "-o", "jsonpath={.clusters[0].cluster.server}")
    return config.stdout.strip()
