"""ark-operator's flags and their environment fallbacks."""

from __future__ import annotations

import pytest

from ark import __version__
from ark.operator.app import redacted
from ark.operator.config import ConfigError, parse_address, parse_config


def test_defaults() -> None:
    config = parse_config([], {})
    assert config.kubeconfig is None
    assert config.namespaces == ()
    assert config.task_queue_url == "redis.ark-system.svc.cluster.local:6379"
    assert config.agent_image == f"ghcr.io/arkonis-dev/ark:{__version__}"
    assert config.agent_image_pull_policy is None
    assert config.agent_api_keys_secret is None
    assert config.leader_elect is True
    assert config.leader_election_id == "ark-operator"
    assert (config.metrics_host, config.metrics_port) == ("0.0.0.0", 8081)
    assert config.workers == 8
    assert config.log_level == "info"


def test_environment_fallbacks() -> None:
    env = {
        "KUBECONFIG": "/k",
        "WATCH_NAMESPACES": "a, b,a",
        "TASK_QUEUE_URL": "redis://q:1/0",
        "AGENT_IMAGE": "img:2",
        "AGENT_IMAGE_PULL_POLICY": "Never",
        "AGENT_API_KEYS_SECRET": "keys",
        "LEADER_ELECT": "false",
        "LEADER_ELECTION_ID": "lease",
        "POD_NAMESPACE": "ops",
        "METRICS_ADDR": "127.0.0.1:9000",
        "WORKERS": "3",
        "LOG_LEVEL": "DEBUG",
    }
    config = parse_config([], env)
    assert config.kubeconfig == "/k"
    assert config.namespaces == ("a", "b")
    assert config.task_queue_url == "redis://q:1/0"
    assert (config.agent_image, config.agent_image_pull_policy, config.agent_api_keys_secret) == (
        "img:2",
        "Never",
        "keys",
    )
    assert config.leader_elect is False
    assert (config.leader_election_id, config.leader_election_namespace) == ("lease", "ops")
    assert (config.metrics_host, config.metrics_port, config.workers, config.log_level) == (
        "127.0.0.1",
        9000,
        3,
        "debug",
    )


def test_flags_win_over_the_environment() -> None:
    config = parse_config(
        [
            "--namespace=x",
            "--namespace",
            "y",
            "--no-leader-elect",
            "--leader-election-namespace=le",
            "--workers=2",
        ],
        {"WATCH_NAMESPACES": "a", "LEADER_ELECT": "true", "POD_NAMESPACE": "ops", "WORKERS": "9"},
    )
    assert config.namespaces == ("x", "y")
    assert config.leader_elect is False
    assert config.leader_election_namespace == "le"
    assert config.workers == 2


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["--workers=0"], {}),
        (["--metrics-addr=nope"], {}),
        ([], {"LEADER_ELECT": "maybe"}),
    ],
)
def test_invalid_values_are_config_errors(argv: list[str], env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        parse_config(argv, env)


@pytest.mark.parametrize(
    "argv", [["--agent-image-pull-policy=Sometimes"], ["--log-level=loud"], ["--workers=x"]]
)
def test_invalid_choices_exit_like_any_cli(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_config(argv, {})
    assert exit_info.value.code == 2


def test_addresses() -> None:
    assert parse_address(":8081") == ("0.0.0.0", 8081)
    assert parse_address("127.0.0.1:0") == ("127.0.0.1", 0)
    assert parse_address("[::1]:9") == ("::1", 9)


def test_redis_passwords_are_not_logged() -> None:
    assert redacted("redis://:hunter2@q:6379/0") == "redis://:***@q:6379/0"
    assert redacted("redis://user:hunter2@q:6379/0") == "redis://user:***@q:6379/0"
    assert redacted("redis://q:6379/0") == "redis://q:6379/0"
