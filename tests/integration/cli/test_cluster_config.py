"""kubectl's conventions for every cluster command, with real kubeconfigs, RBAC and service accounts."""

from __future__ import annotations

import base64
import json
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from ark.cli.cluster import Cluster
from ark.cli.kubeconfig import connect, resolve_target
from ark.controllers.resources import ARK_TEAMS
from tests.conftest import Kubectl
from tests.integration.cli.support import ark, ark_env, write_kubeconfig

pytestmark = [pytest.mark.cluster, pytest.mark.usefixtures("teams")]
Obj = dict[str, Any]


def created_in(kubectl: Kubectl, namespace: str) -> list[Obj]:
    items: list[Obj] = json.loads(kubectl("get", "arkruns", "-n", namespace, "-o", "json").stdout)["items"]
    return items


def test_kubeconfig_lists_merge_as_kubectl_merges_them(
    tmp_path: Path, kubeconfig: Path, kubectl: Kubectl, namespace: str
) -> None:
    # The first file only chooses the context (and its namespace); the second has the cluster and
    # credentials, its own "work" context (ignored: the first definition wins) and current-context.
    full = yaml.safe_load(
        write_kubeconfig(
            tmp_path / "full.yaml", kubeconfig, namespace="not-this-one", user="carol"
        ).read_text()
    )
    full["current-context"] = "not-this-either"
    (tmp_path / "full.yaml").write_text(yaml.safe_dump(full))
    first = {
        "apiVersion": "v1",
        "kind": "Config",
        "contexts": [
            {"name": "work", "context": {"cluster": "test", "user": "carol", "namespace": namespace}}
        ],
        "current-context": "work",
    }
    (tmp_path / "first.yaml").write_text(yaml.safe_dump(first))
    listed = f"{tmp_path / 'absent.yaml'}:{tmp_path / 'first.yaml'}:{tmp_path / 'full.yaml'}"

    result = ark("trigger", "planner", "-i", "dish=soup", env=ark_env(listed))

    assert result.returncode == 0, result.stderr
    (run,) = created_in(kubectl, namespace)
    assert run["spec"]["trigger"] == {"type": "manual", "source": "carol"}


def test_context_and_namespace_flags_win(
    tmp_path: Path, kubeconfig: Path, kubectl: Kubectl, namespace: str
) -> None:
    config = write_kubeconfig(
        tmp_path / "k.yaml",
        kubeconfig,
        namespace="default",
        user="dave",
        elsewhere={"cluster": "test", "user": "dave", "namespace": namespace},
    )
    by_context = ark(
        "trigger",
        "planner",
        "-i",
        "dish=a",
        "--kubeconfig",
        str(config),
        "--context",
        "elsewhere",
        env=ark_env(None),
    )
    assert by_context.returncode == 0, by_context.stderr
    by_flag = ark(
        "trigger", "planner", "-i", "dish=b", "--kubeconfig", str(config), "-n", namespace, env=ark_env(None)
    )
    assert by_flag.returncode == 0, by_flag.stderr
    assert sorted(run["spec"]["input"]["dish"] for run in created_in(kubectl, namespace)) == ["a", "b"]
    unknown = ark("status", "--kubeconfig", str(config), "--context", "prod", env=ark_env(None))
    assert unknown.returncode == 2
    assert unknown.stderr == (
        f'ark status: context "prod" is not in kubeconfig {config} (contexts: work, elsewhere)\n'
    )


def test_without_a_kubeconfig_it_says_how_to_point_at_one(tmp_path: Path) -> None:
    result = ark("status", env=ark_env(None, HOME=str(tmp_path)))
    assert result.returncode == 2
    assert result.stderr == (
        "ark status: no kubeconfig found (~/.kube/config): point at one with --kubeconfig PATH or "
        "KUBECONFIG=PATH (the local cluster: `make cluster-up`, "
        "then export KUBECONFIG=$PWD/.cluster/kubeconfig)\n"
    )


def test_an_unreachable_server_is_named(tmp_path: Path, kubeconfig: Path, namespace: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before ark connects: nothing listens there
    config = yaml.safe_load(
        write_kubeconfig(tmp_path / "k.yaml", kubeconfig, namespace=namespace).read_text()
    )
    config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{port}"
    (tmp_path / "k.yaml").write_text(yaml.safe_dump(config))

    result = ark("trigger", "planner", "-i", "dish=soup", env=ark_env(tmp_path / "k.yaml"))

    assert result.returncode == 2
    assert result.stderr.startswith(f"ark trigger: cannot reach the API server at https://127.0.0.1:{port} (")
    assert result.stderr.endswith(
        'is the cluster up, and is context "work" the one you mean? '
        "(pick another with --context or --kubeconfig)\n"
    )


def robot_kubeconfig(tmp_path: Path, kubeconfig: Path, kubectl: Kubectl, namespace: str) -> Path:
    """A kubeconfig authenticating as the ServiceAccount ``robot`` (a bound token, no rights yet)."""
    kubectl("create", "serviceaccount", "robot", "-n", namespace)
    token = kubectl("create", "token", "robot", "-n", namespace, "--duration=10m").stdout.strip()
    config = yaml.safe_load(
        write_kubeconfig(tmp_path / "robot.yaml", kubeconfig, namespace=namespace, user="robot").read_text()
    )
    config["users"][0]["user"] = {"token": token}
    path = tmp_path / "robot.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_rbac_refusals_name_the_verb_and_resource(
    tmp_path: Path, kubeconfig: Path, kubectl: Kubectl, namespace: str
) -> None:
    env = ark_env(robot_kubeconfig(tmp_path, kubeconfig, kubectl, namespace))

    cannot_read = ark("trigger", "planner", "-i", "dish=soup", env=env)
    assert cannot_read.returncode == 2
    assert cannot_read.stderr.startswith(
        f'ark trigger: forbidden: user "robot" may not get arkteams.arkonis.dev in namespace "{namespace}" ('
    )
    assert (
        'ask a cluster admin for a Role and RoleBinding granting "get" on arkteams.arkonis.dev'
        in cannot_read.stderr
    )

    kubectl(
        "create", "role", "team-reader", "-n", namespace, "--verb=get,list", "--resource=arkteams.arkonis.dev"
    )
    kubectl(
        "create",
        "rolebinding",
        "robot-reads",
        "-n",
        namespace,
        "--role=team-reader",
        f"--serviceaccount={namespace}:robot",
    )
    cannot_create = ark("trigger", "planner", "-i", "dish=soup", env=env)
    assert cannot_create.returncode == 2
    assert f'forbidden: user "robot" may not create arkruns.arkonis.dev in namespace "{namespace}"' in (
        cannot_create.stderr
    )
    assert created_in(kubectl, namespace) == []


def mounted_account(tmp_path: Path, kubeconfig: Path, kubectl: Kubectl, namespace: str) -> tuple[Path, Any]:
    """What the kubelet mounts into a pod of ``runner``: its token, the cluster CA, the namespace."""
    account = tmp_path / "serviceaccount"
    account.mkdir()
    (account / "token").write_text(kubectl("create", "token", "runner", "-n", namespace).stdout.strip())
    admin = yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]
    (account / "ca.crt").write_bytes(base64.b64decode(admin["certificate-authority-data"]))
    (account / "namespace").write_text(namespace)
    return account, urlsplit(admin["server"])


async def test_in_a_pod_the_service_account_reaches_the_cluster(
    tmp_path: Path, kubeconfig: Path, kubectl: Kubectl, namespace: str
) -> None:
    kubectl("create", "serviceaccount", "runner", "-n", namespace)
    kubectl(
        "create", "role", "team-lister", "-n", namespace, "--verb=list", "--resource=arkteams.arkonis.dev"
    )
    kubectl(
        "create",
        "rolebinding",
        "runner-lists",
        "-n",
        namespace,
        "--role=team-lister",
        f"--serviceaccount={namespace}:runner",
    )
    account, server = mounted_account(tmp_path, kubeconfig, kubectl, namespace)
    pod_env = {"KUBERNETES_SERVICE_HOST": str(server.hostname), "KUBERNETES_SERVICE_PORT": str(server.port)}

    target = resolve_target(None, None, None, env=pod_env, home=tmp_path, service_account_dir=account)
    client = await connect(target)
    try:
        teams = await Cluster(client, target).list(ARK_TEAMS)
    finally:
        await client.close()

    assert (target.namespace, target.user) == (namespace, f"system:serviceaccount:{namespace}:runner")
    assert sorted(team["metadata"]["name"] for team in teams) == ["desk", "planner"]


FILES = """\
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata: {name: research}
spec:
  roles:
    - {name: lead, arkAgent: librarian}
    - name: writer
      model: m
      systemPromptRef: {secretKeyRef: {name: prompts, key: writer}}
    - {name: sub, arkTeam: planner}
  pipeline: [{role: lead}, {role: writer, dependsOn: [lead]}, {role: sub, dependsOn: [writer]}]
"""


def test_validate_check_agents_looks_the_references_up(
    tmp_path: Path, env: dict[str, str], kubectl: Kubectl, namespace: str
) -> None:
    path = tmp_path / "research.yaml"
    path.write_text(FILES)

    offline = ark("validate", str(path), env=env)
    assert offline.returncode == 0
    assert offline.stdout.count(": note: ") == 3

    missing = ark("validate", str(path), "--check-agents", env=env)
    assert missing.returncode == 1
    assert missing.stdout.splitlines() == [
        f'{path}:6: ArkTeam/research: spec.roles[0].arkAgent: ArkAgent "librarian" does not exist '
        f'in namespace "{namespace}" of the cluster (create it, or correct the name)',
        f"{path}:9: ArkTeam/research: spec.roles[1].systemPromptRef.secretKeyRef.name: "
        f'Secret "prompts" does not exist in namespace "{namespace}" of the cluster '
        "(create it, or correct the name)",
        f"Agents: 1 found (ArkTeam {namespace}/planner), 2 missing in the cluster",
        "invalid: 1 document in 1 file: 2 errors, 0 warnings",
    ]

    kubectl(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        input=(
            "apiVersion: arkonis.dev/v1alpha1\nkind: ArkAgent\nmetadata: {name: librarian}\n"
            "spec: {model: m, systemPrompt: p}\n"
        ),
    )
    kubectl("create", "secret", "generic", "prompts", "-n", namespace, "--from-literal=writer=s3cret-prompt")
    found = ark("validate", str(path), "--check-agents", "-o", "json", env=env)
    assert found.returncode == 0, found.stdout
    document = json.loads(found.stdout)
    assert (document["errors"], document["unresolved"], document["issues"]) == (0, 0, [])
    assert document["cluster"]["found"] == [
        f"ArkAgent {namespace}/librarian",
        f"Secret {namespace}/prompts",
        f"ArkTeam {namespace}/planner",
    ]
    assert "s3cret" not in found.stdout
    text = ark("validate", str(path), "--check-agents", env=env)
    assert text.stdout.splitlines()[0] == (
        f"Agents ok (ArkAgent {namespace}/librarian, Secret {namespace}/prompts, ArkTeam {namespace}/planner)"
    )
    unreachable = ark("validate", str(path), "--check-agents", env=ark_env(None, HOME=str(tmp_path)))
    assert unreachable.returncode == 2
    assert unreachable.stderr.startswith("ark validate: --check-agents: no kubeconfig found")
