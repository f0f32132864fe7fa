"""The helm that ``hack/build-helm.sh`` built, run with its homes in a temporary directory."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from localcluster import VERSIONS


def helm_binary() -> Path:
    """``${ARK_CACHE:-~/.cache/ark}/helm/<version>/bin/helm``; an AssertionError says how to build it."""
    root = Path(os.environ.get("ARK_CACHE", Path.home() / ".cache" / "ark"))
    path = root / "helm" / VERSIONS["HELM_VERSION"] / "bin" / "helm"
    assert os.access(path, os.X_OK), f"{path} is missing: build it with hack/build-helm.sh (make test does)"
    return path


class Helm:
    """``helm ARGS`` with HELM_*_HOME in ``home`` (nothing read from or written to the user's)."""

    def __init__(self, home: Path, kubeconfig: Path | None = None) -> None:
        self.binary = helm_binary()
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "HELM_CACHE_HOME": str(home / "cache"),
            "HELM_CONFIG_HOME": str(home / "config"),
            "HELM_DATA_HOME": str(home / "data"),
        }
        if kubeconfig is not None:
            self.env["KUBECONFIG"] = str(kubeconfig)

    def __call__(
        self, *args: str, check: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """Run helm; a failure (with ``check``) shows its output."""
        done = subprocess.run(
            [str(self.binary), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"helm {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
            )
        return done
