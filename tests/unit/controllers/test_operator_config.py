"""ark-operator's flags and their environment fallbacks."""

from __future__ import annotations

import pytest

from ark import __version__
from ark.operator.app import redacted
from ark.operator.config import ConfigError, parse_address, parse_config, parse_env_assignments


def test_defaults() -> None:
    config = parse_config([], {})
    assert config.kubeconfig is None
    assert config.namespaces == ()
    assert config.task_queue_url == "redis.ark-system.svc.cluster.local:6379"
    assert config.agent_image == f"ghcr.io/arkonis-dev/ark:{__version__}"
    assert config.agent_image_pull_policy is None
    assert config.agent_api_keys_secret is None
    assert config.agent_extra_env == ()
    assert config.leader_elect is True
    assert config.leader_election_id == "ark-operator"
    assert (config.metrics_host, config.metrics_port) == ("0.0.0.0", 8081)
    assert config.workers == 8
    assert config.log_level == "info"
    assert (config.service_host, config.service_port) == ("0.0.0.0", 8093)
    assert config.service_backend == ("ark-system", "ark-operator-tasks")


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


def test_agent_env_flags_are_repeatable_and_the_last_value_of_a_name_wins() -> None:
    config = parse_config(
        [
            "--agent-env=AGENT_PROVIDER=mock",
            "--agent-env",
            "OPENAI_BASE_URL=http://127.0.0.1:8000/v1?a=b",
            "--agent-env=EMPTY=",
            "--agent-env=AGENT_PROVIDER=openai",
        ],
        {"AGENT_EXTRA_ENV": "IGNORED=1"},
    )
    assert config.agent_extra_env == (
        ("AGENT_PROVIDER", "openai"),
        ("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1?a=b"),
        ("EMPTY", ""),
    )


def test_agent_extra_env_is_a_comma_or_newline_separated_list() -> None:
    assert parse_config([], {"AGENT_EXTRA_ENV": "A=1, B=2,"}).agent_extra_env == (("A", "1"), ("B", "2"))
    lines = "OTEL_RESOURCE_ATTRIBUTES=team=a,env=dev\nAGENT_PROVIDER=mock\n"
    assert parse_config([], {"AGENT_EXTRA_ENV": lines}).agent_extra_env == (
        ("OTEL_RESOURCE_ATTRIBUTES", "team=a,env=dev"),
        ("AGENT_PROVIDER", "mock"),
    )


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("sk-not-an-assignment", "--agent-env must be KEY=VALUE; entry 1 has no '='"),
        ("=x", "--agent-env: '' (entry 1) is not a variable name"),
        ("1ST=x", "--agent-env: '1ST' (entry 1) is not a variable name"),
        ("OPENAI-API-KEY=sk-secret", "--agent-env: 'OPENAI-API-KEY' (entry 1) is not a variable name"),
    ],
)
def test_bad_agent_env_is_refused_naming_the_flag_but_never_the_value(entry: str, reason: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config([f"--agent-env={entry}"], {})
    assert str(error.value).startswith(reason)
    assert "sk-" not in str(error.value)


def test_bad_agent_extra_env_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"^AGENT_EXTRA_ENV must be KEY=VALUE; entry 2 has no '='"):
        parse_config([], {"AGENT_EXTRA_ENV": "A=1,oops"})
    assert parse_env_assignments(["A=1=2"]) == (("A", "1=2"),)


def test_trigger_webhook_url_is_an_http_base_without_a_trailing_slash() -> None:
    assert parse_config([], {}).trigger_webhook_url is None
    flag = parse_config(["--trigger-webhook-url=https://hooks.example.com/"], {})
    assert flag.trigger_webhook_url == "https://hooks.example.com"
    env = parse_config([], {"TRIGGER_WEBHOOK_URL": "http://ark:8092"})
    assert env.trigger_webhook_url == "http://ark:8092"
    with pytest.raises(ConfigError, match="--trigger-webhook-url must be an http"):
        parse_config(["--trigger-webhook-url=ark:8092"], {})


def test_trigger_webhook_server_flags() -> None:
    config = parse_config([], {})
    assert (config.trigger_webhook_host, config.trigger_webhook_port) == ("0.0.0.0", 8092)
    assert (config.trigger_webhook_rate, config.trigger_webhook_burst) == (10.0, 100)
    assert config.trigger_webhook_read_timeout == 10.0
    env = {
        "TRIGGER_WEBHOOK_ADDR": "127.0.0.1:9092",
        "TRIGGER_WEBHOOK_RATE": "2.5",
        "TRIGGER_WEBHOOK_BURST": "7",
        "TRIGGER_WEBHOOK_READ_TIMEOUT": "3",
    }
    config = parse_config([], env)
    assert (config.trigger_webhook_host, config.trigger_webhook_port) == ("127.0.0.1", 9092)
    assert (config.trigger_webhook_rate, config.trigger_webhook_burst) == (2.5, 7)
    assert config.trigger_webhook_read_timeout == 3.0
    assert parse_config(["--trigger-webhook-addr=:0"], env).trigger_webhook_port == 0
    for flags, message in (
        (["--trigger-webhook-addr=8092"], "--trigger-webhook-addr must be HOST:PORT"),
        (["--trigger-webhook-rate=0"], "--trigger-webhook-rate must be above 0"),
        (["--trigger-webhook-burst=0"], "--trigger-webhook-burst must be at least 1"),
        (["--trigger-webhook-read-timeout=0"], "--trigger-webhook-read-timeout must be above 0"),
    ):
        with pytest.raises(ConfigError, match=message):
            parse_config(flags, {})


def test_service_flags() -> None:
    config = parse_config(["--service-addr=127.0.0.1:9093", "--service-backend=ops/tasks"], {})
    assert (config.service_host, config.service_port) == ("127.0.0.1", 9093)
    assert config.service_backend == ("ops", "tasks")
    from_env = parse_config([], {"SERVICE_ADDR": ":7000", "POD_NAMESPACE": "ops"})
    assert from_env.service_port == 7000
    assert from_env.service_backend == ("ops", "ark-operator-tasks")
    with pytest.raises(ConfigError, match="--service-backend must be NAMESPACE/NAME"):
        parse_config(["--service-backend=tasks"], {})
    with pytest.raises(ConfigError, match="--service-addr must be HOST:PORT"):
        parse_config(["--service-addr=8093"], {})
