"""The Prometheus and promtool that ``hack/build-prometheus.sh`` built: a server on loopback
scraping fixed targets every second, its HTTP query API, and promtool's checks."""

from __future__ import annotations

import math
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import yaml
from localcluster import VERSIONS, free_port

from tests.support.process import LoggedProcess

SCRAPE_INTERVAL = "1s"


def prometheus_bin() -> Path:
    """``${ARK_CACHE:-~/.cache/ark}/prometheus/<version>/bin``; an AssertionError says how to build it."""
    root = Path(os.environ.get("ARK_CACHE", Path.home() / ".cache" / "ark"))
    path = root / "prometheus" / VERSIONS["PROMETHEUS_VERSION"] / "bin"
    for name in ("prometheus", "promtool"):
        assert os.access(path / name, os.X_OK), (
            f"{path / name} is missing: build it with hack/build-prometheus.sh (make test does)"
        )
    return path


def promtool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``promtool ARGS`` (its output kept for the assertion message)."""
    return subprocess.run(
        [str(prometheus_bin() / "promtool"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class PrometheusServer(LoggedProcess):
    """``prometheus`` on 127.0.0.1 scraping ``targets`` (job -> host:port list) and loading ``rules``."""

    def __init__(
        self, workdir: Path, targets: Mapping[str, Sequence[str]], rules: Sequence[Path] = ()
    ) -> None:
        self.port = free_port()
        config = {
            "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL},
            "rule_files": [str(r) for r in rules],
            "scrape_configs": [
                {"job_name": job, "static_configs": [{"targets": list(hosts)}]}
                for job, hosts in targets.items()
            ],
        }
        config_file = workdir / "prometheus.yml"
        config_file.write_text(yaml.safe_dump(config))
        checked = promtool("check", "config", str(config_file))
        assert checked.returncode == 0, checked.stdout + checked.stderr
        super().__init__(
            [
                str(prometheus_bin() / "prometheus"),
                f"--config.file={config_file}",
                f"--storage.tsdb.path={workdir / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            {"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            "prometheus-",
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def ready(self) -> bool:
        """True once ``/-/ready`` answers 200."""
        if self.proc.poll() is not None:
            raise AssertionError(f"prometheus exited with {self.proc.returncode}:\n{self.log_text()[-3000:]}")
        try:
            return httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    async def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant vector of ``expr`` now (an AssertionError for a query Prometheus refuses)."""
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.get(f"{self.url}/api/v1/query", params={"query": expr})
        body = answer.json()
        assert body.get("status") == "success", f"{expr}: {body}"
        assert body["data"]["resultType"] == "vector", f"{expr}: {body['data']['resultType']}"
        return list(body["data"]["result"])

    async def values(self, expr: str) -> list[float] | None:
        """The finite sample values of ``expr`` now; None while it has none (for :func:`wait_for`)."""
        found = [float(s["value"][1]) for s in await self.query(expr)]
        finite = [v for v in found if math.isfinite(v)]
        return finite or None

    async def targets_up(self) -> bool:
        """True once every target was scraped successfully."""
        async with httpx.AsyncClient(timeout=10) as client:
            active = (await client.get(f"{self.url}/api/v1/targets")).json()["data"]["activeTargets"]
        return bool(active) and all(t["health"] == "up" for t in active)
