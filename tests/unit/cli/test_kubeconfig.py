"""Cluster, context, namespace and user resolved from kubeconfig files as kubectl resolves them."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from ark.cli.kubeconfig import ConfigError, merge_kubeconfigs, resolve_target, token_subject

Obj = dict[str, Any]


def config(
    contexts: dict[str, Obj],
    clusters: dict[str, Obj] | None = None,
    users: dict[str, Obj] | None = None,
    current: str | None = None,
) -> Obj:
    doc: Obj = {
        "apiVersion": "v1",
        "kind": "Config",
        "contexts": [{"name": k, "context": v} for k, v in contexts.items()],
        "clusters": [{"name": k, "cluster": v} for k, v in (clusters or {}).items()],
        "users": [{"name": k, "user": v} for k, v in (users or {}).items()],
    }
    if current is not None:
        doc["current-context"] = current
    return doc


def write(path: Path, doc: Obj) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc))
    return path


ONE = config(
    {"work": {"cluster": "c1", "user": "alice", "namespace": "team-a"}, "bare": {"cluster": "c1"}},
    {"c1": {"server": "https://one:6443"}},
    {"alice": {"token": "t"}},
    current="work",
)


def test_the_current_context_gives_server_namespace_and_user(tmp_path: Path) -> None:
    path = write(tmp_path / "config", ONE)
    target = resolve_target(None, None, None, env={"KUBECONFIG": str(path)}, home=tmp_path)
    assert (target.server, target.namespace, target.user, target.context) == (
        "https://one:6443",
        "team-a",
        "alice",
        "work",
    )
    assert target.source == f"kubeconfig {path}"


def test_flags_win_over_the_context(tmp_path: Path) -> None:
    path = write(tmp_path / "config", ONE)
    target = resolve_target(str(path), "bare", "other", env={"USER": "bob"}, home=tmp_path)
    assert (target.context, target.namespace, target.user) == ("bare", "other", "bob")


def test_a_context_without_namespace_or_user_falls_back_to_default_and_user_env(tmp_path: Path) -> None:
    path = write(tmp_path / "config", ONE)
    target = resolve_target(str(path), "bare", None, env={"USER": "carol"}, home=tmp_path)
    assert (target.namespace, target.user) == ("default", "carol")
    assert resolve_target(str(path), "bare", None, env={}, home=tmp_path).user is None


def test_home_kube_config_is_the_default(tmp_path: Path) -> None:
    write(tmp_path / ".kube" / "config", ONE)
    assert resolve_target(None, None, None, env={}, home=tmp_path).namespace == "team-a"


def test_kubeconfig_list_merges_first_wins_and_skips_missing_files(tmp_path: Path) -> None:
    first = write(
        tmp_path / "a" / "config",
        config({"work": {"cluster": "c2", "user": "alice", "namespace": "from-first"}}, current="work"),
    )
    second = write(
        tmp_path / "b" / "config",
        config(
            {"work": {"cluster": "c1", "namespace": "from-second"}, "other": {"cluster": "c1"}},
            {"c1": {"server": "https://one:6443"}, "c2": {"server": "https://two:6443"}},
            {"alice": {"token": "t"}},
            current="other",
        ),
    )
    env = {"KUBECONFIG": f"{tmp_path / 'missing'}:{first}:{second}"}
    target = resolve_target(None, None, None, env=env, home=tmp_path)
    assert (target.context, target.namespace, target.server, target.user) == (
        "work",
        "from-first",
        "https://two:6443",
        "alice",
    )
    assert target.source == f"kubeconfig {first}:{second}"


def test_relative_credential_paths_are_relative_to_their_file(tmp_path: Path) -> None:
    merged = merge_kubeconfigs(
        [
            (
                tmp_path / "dir" / "config",
                config(
                    {"x": {"cluster": "c", "user": "u"}},
                    {"c": {"server": "https://s", "certificate-authority": "ca.crt"}},
                    {
                        "u": {
                            "client-certificate": "certs/u.crt",
                            "client-key": "/abs/u.key",
                            "tokenFile": "tok",
                            "exec": {"command": "./bin/get-token", "apiVersion": "v1"},
                        }
                    },
                ),
            ),
            (tmp_path / "config", config({}, users={"w": {"exec": {"command": "kubelogin"}}})),
        ]
    )
    base = (tmp_path / "dir").resolve()
    assert merged["clusters"][0]["cluster"]["certificate-authority"] == str(base / "ca.crt")
    user = merged["users"][0]["user"]
    assert user["client-certificate"] == str(base / "certs/u.crt")
    assert user["client-key"] == "/abs/u.key"
    assert user["tokenFile"] == str(base / "tok")
    assert user["exec"]["command"] == str(base / "bin/get-token")
    assert merged["users"][1]["user"]["exec"]["command"] == "kubelogin"  # a name on PATH stays


def test_no_kubeconfig_says_how_to_point_at_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_target(None, None, None, env={}, home=tmp_path)
    assert "no kubeconfig found (~/.kube/config)" in str(caught.value)
    assert "--kubeconfig PATH or KUBECONFIG=PATH" in str(caught.value)
    with pytest.raises(ConfigError, match=r"KUBECONFIG=/nope/a:/nope/b\)"):
        resolve_target(None, None, None, env={"KUBECONFIG": "/nope/a:/nope/b"}, home=tmp_path)
    with pytest.raises(ConfigError, match="--kubeconfig /nope: no such file"):
        resolve_target("/nope", None, None, env={}, home=tmp_path)


def test_an_unknown_context_lists_the_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path / "config", ONE)
    with pytest.raises(ConfigError, match=r'context "prod" is not in kubeconfig .* \(contexts: work, bare\)'):
        resolve_target(str(path), "prod", None, env={}, home=tmp_path)


def test_no_current_context_asks_for_one(tmp_path: Path) -> None:
    doc = {**ONE}
    del doc["current-context"]
    path = write(tmp_path / "config", doc)
    with pytest.raises(
        ConfigError, match=r"sets no current-context: pass --context \(contexts: work, bare\)"
    ):
        resolve_target(str(path), None, None, env={}, home=tmp_path)


def test_a_context_naming_a_missing_cluster_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "config", config({"x": {"cluster": "gone"}}, current="x"))
    with pytest.raises(ConfigError, match=r'names cluster "gone", which kubeconfig .* does not define'):
        resolve_target(str(path), None, None, env={}, home=tmp_path)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("- a\n- b\n", "is not a kubeconfig"),
        ("a: [\n", "is not valid YAML"),
        ("contexts: [{}]\n", "needs a name"),
    ],
)
def test_broken_kubeconfigs_are_named(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "config"
    path.write_text(text)
    with pytest.raises(ConfigError, match=reason):
        resolve_target(str(path), None, None, env={}, home=tmp_path)


def _token(claims: Obj) -> str:
    def part(data: Obj) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part(claims)}.signature"


def test_in_a_pod_the_service_account_is_used(tmp_path: Path) -> None:
    account = tmp_path / "sa"
    account.mkdir()
    (account / "token").write_text(_token({"sub": "system:serviceaccount:ops:runner"}))
    (account / "namespace").write_text("ops\n")
    env = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    target = resolve_target(None, None, None, env=env, home=tmp_path, service_account_dir=account)
    assert (target.server, target.namespace, target.user, target.context, target.config) == (
        "https://10.0.0.1:443",
        "ops",
        "system:serviceaccount:ops:runner",
        None,
        None,
    )
    assert (
        resolve_target(None, None, "mine", env=env, home=tmp_path, service_account_dir=account).namespace
        == "mine"
    )
    ipv6 = {**env, "KUBERNETES_SERVICE_HOST": "fd00::1"}
    assert resolve_target(None, None, None, env=ipv6, home=tmp_path, service_account_dir=account).server == (
        "https://[fd00::1]:443"
    )


def test_a_kubeconfig_wins_over_the_pod_and_a_pod_without_token_says_so(tmp_path: Path) -> None:
    env = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    write(tmp_path / ".kube" / "config", ONE)
    assert resolve_target(None, None, None, env=env, home=tmp_path).context == "work"
    with pytest.raises(ConfigError, match="token does not exist"):
        resolve_target(
            None, None, None, env=env, home=tmp_path / "empty", service_account_dir=tmp_path / "sa"
        )


def test_token_subjects_are_read_without_verifying() -> None:
    assert token_subject(_token({"sub": "system:serviceaccount:a:b"})) == "system:serviceaccount:a:b"
    assert token_subject(_token({"iss": "x"})) is None
    assert token_subject("opaque-token") is None
    assert token_subject("a.!!!.c") is None
