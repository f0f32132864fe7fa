"""How pods name Services, and where the API server is for in-cluster clients."""

from __future__ import annotations

from podrunner.pod_sandbox import service_env
from podrunner.services import service_names


def test_a_service_is_reachable_by_its_dns_names_and_its_bare_name_from_its_own_namespace() -> None:
    qualified = ["redis.ark-system.svc.cluster.local", "redis.ark-system.svc", "redis.ark-system"]
    assert service_names("redis", "ark-system", "default") == qualified
    assert service_names("redis", "ark-system", "ark-system") == [*qualified, "redis"]


def test_service_links_point_at_the_api_server_itself() -> None:
    assert service_env("https://127.0.0.1:36443") == {
        "KUBERNETES_SERVICE_HOST": "127.0.0.1",
        "KUBERNETES_SERVICE_PORT": "36443",
        "KUBERNETES_SERVICE_PORT_HTTPS": "36443",
        "KUBERNETES_PORT": "tcp://127.0.0.1:36443",
    }
    assert service_env("https://localhost")["KUBERNETES_SERVICE_PORT"] == "443"
