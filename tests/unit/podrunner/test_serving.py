"""What an ark container serves moves to the port the runner assigns; probes follow it."""

from __future__ import annotations

from podrunner.serving import free_port, localise, probe_command

AGENT = {
    "name": "agent",
    "ports": [{"name": "health", "containerPort": 8080}, {"name": "x", "containerPort": 9}],
}
OPERATOR = {"name": "operator", "ports": [{"name": "metrics", "containerPort": 8081}]}


def test_the_runtime_is_told_its_health_port() -> None:
    launch = localise(["ark-runtime"], {"POD_NAME": "p"}, 41000)
    assert launch.argv == ["ark-runtime"]
    assert launch.env == {"POD_NAME": "p", "AGENT_HEALTH_PORT": "41000"}
    assert (launch.pod_port, launch.host_port) == (8080, 41000)
    # The pod's own choice of port is the pod port; the runner's assignment still wins.
    custom = localise(["/usr/local/bin/ark-runtime"], {"AGENT_HEALTH_PORT": "9000"}, 41001)
    assert (custom.pod_port, custom.env["AGENT_HEALTH_PORT"]) == (9000, "41001")


def test_every_metrics_flag_of_the_operator_is_replaced() -> None:
    launch = localise(
        ["ark-operator", "--metrics-addr", ":9090", "--workers=2", "--metrics-addr=:8082"], {}, 41002
    )
    assert launch.argv[:2] == ["ark-operator", "--workers=2"]
    assert launch.argv[-1] == "--metrics-addr=127.0.0.1:41002"
    # Two operator pods on one host cannot both serve webhooks on 8092 or tasks on 8093 either,
    # and a Service proxy of the runner may hold those ports on its own loopback address.
    moved = localise(
        ["ark-operator", "--trigger-webhook-addr", ":8092", "--service-addr=:8093"], {}, 41006
    ).argv
    assert len(moved) == 4
    webhook, service = moved[1], moved[2]
    assert webhook.startswith("--trigger-webhook-addr=127.0.0.1:")
    assert webhook != "--trigger-webhook-addr=127.0.0.1:8092"
    assert service.startswith("--service-addr=127.0.0.1:")
    assert service != "--service-addr=127.0.0.1:8093"
    assert localise(["ark-operator"], {}, 41007).argv[1].startswith("--trigger-webhook-addr=127.0.0.1:")
    assert localise(["ark-operator"], {}, 41007).argv[2].startswith("--service-addr=127.0.0.1:")
    assert launch.pod_port == 8082
    assert localise(["ark-operator"], {}, 41003).pod_port == 8081
    from_env = localise(["ark-operator"], {"METRICS_ADDR": "0.0.0.0:7000"}, 41004)
    assert (from_env.pod_port, from_env.argv[-1]) == (7000, "--metrics-addr=127.0.0.1:41004")


def test_other_programs_run_unchanged() -> None:
    launch = localise(["python", "-m", "http.server", "8080"], {"A": "1"}, 41005)
    assert (launch.argv, launch.env) == (["python", "-m", "http.server", "8080"], {"A": "1"})
    assert launch.map_port(8080, AGENT) == 8080


def test_probes_naming_or_numbering_the_served_port_are_redirected() -> None:
    launch = localise(["ark-runtime"], {}, 41006)
    assert launch.map_port("health", AGENT) == 41006
    assert launch.map_port(8080, AGENT) == 41006
    assert launch.map_port("8080", AGENT) == 41006
    assert launch.map_port("x", AGENT) == 9
    assert launch.map_port("nope", AGENT) is None
    operator = localise(["ark-operator", "--metrics-addr=:8081"], {}, 41007)
    assert operator.map_port("metrics", OPERATOR) == 41007


def test_redis_server_listens_on_loopback_at_the_assigned_port() -> None:
    args = ["redis-server", "--appendonly", "yes", "--dir", "/data", "--save", ""]
    launch = localise(args, {}, 41008)
    assert launch.argv == [*args, "--port", "41008", "--bind", "127.0.0.1"]
    assert (launch.pod_port, launch.host_port) == (6379, 41008)
    assert localise(["/usr/bin/redis-server", "--port", "7000"], {}, 41009).pod_port == 7000
    redis = {"name": "redis", "ports": [{"name": "redis", "containerPort": 6379}]}
    assert launch.map_port("redis", redis) == 41008


def test_an_exec_probe_of_redis_cli_is_told_the_port() -> None:
    launch = localise(["redis-server"], {}, 41010)
    assert probe_command(["redis-cli", "ping"], launch) == ["redis-cli", "-p", "41010", "ping"]
    assert probe_command(["cat", "/tmp/ready"], launch) == ["cat", "/tmp/ready"]
    unserved = localise(["python"], {}, 41011)
    assert probe_command(["redis-cli", "ping"], unserved) == ["redis-cli", "ping"]


def test_free_ports_are_free() -> None:
    assert 1024 < free_port() < 65536
