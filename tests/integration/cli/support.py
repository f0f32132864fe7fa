"""The operator's side of the cluster CLI tests: teams, runs, statuses written as the operator would.

The ArkTeam/ArkRun controllers are not in these tests: a test writes each status through the
status subresource, as the admin, and checks what the ``ark`` command shows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from ark.controllers.resources import ARK_RUNS
from ark.kube.client import KubeClient

Obj = dict[str, Any]
ARK = str(Path(sys.executable).parent / "ark")

PLANNER = """\
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata: {name: planner}
spec:
  inputs:
    - {name: dish, type: string, required: true}
    - {name: diet, type: string, default: none}
  roles:
    - {name: chef, model: mock, systemPrompt: "You plan meals."}
    - {name: critic, model: mock, systemPrompt: "You review recipes."}
    - {name: nutritionist, model: mock, systemPrompt: "You count calories."}
  pipeline:
    - role: chef
      inputs: {prompt: "Plan {{ .input.dish }} ({{ .input.diet }})."}
    - role: critic
      dependsOn: [chef]
      inputs: {recipe: "{{ .steps.chef.output }}"}
    - role: nutritionist
      dependsOn: [chef]
      inputs: {recipe: "{{ .steps.chef.output }}"}
"""
DESK = """\
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata: {name: desk}
spec:
  entry: triage
  roles:
    - {name: triage, model: mock, systemPrompt: "Route the ticket.", canDelegate: [tech]}
    - {name: tech, model: mock, systemPrompt: "Fix it."}
"""


def ark_env(kubeconfig: Path | str | None, **extra: str) -> dict[str, str]:
    """The environment of a user's shell pointed at ``kubeconfig`` (none: no KUBECONFIG at all)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBECONFIG", "KUBERNETES_", "ARK_"))}
    if kubeconfig is not None:
        env["KUBECONFIG"] = str(kubeconfig)
    env.update(extra)
    return env


def ark(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the installed ``ark`` console script as a user would."""
    return subprocess.run([ARK, *args], capture_output=True, text=True, env=env, timeout=timeout, check=False)


class Background:
    """``ark`` running while the test plays the operator; its output is read as it comes."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [ARK, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            # A shell's background jobs ignore SIGINT; the command must get Ctrl-C as in a terminal.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        self._out: list[str] = []
        self._err: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self._out), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self._err), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: Any, into: list[str]) -> None:
        for line in stream:
            into.append(line)

    @property
    def stdout(self) -> str:
        return "".join(self._out)

    @property
    def stderr(self) -> str:
        return "".join(self._err)

    def stderr_lines(self) -> list[str]:
        return self.stderr.splitlines()

    def finish(self, timeout: float = 30) -> int:
        """The exit code, once the command ended and its output was read to the end."""
        code = self.proc.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout)
        return code

    def interrupt(self) -> None:
        """Ctrl-C."""
        self.proc.send_signal(signal.SIGINT)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def write_kubeconfig(
    path: Path, admin: Path, *, namespace: str, context: str = "work", user: str = "alice", **more: Obj
) -> Path:
    """A user's kubeconfig: the admin's cluster and credentials, the user entry named ``user``.

    ``more`` adds contexts (name -> context body) on the same cluster and user.
    """
    source = yaml.safe_load(admin.read_text())
    contexts = {context: {"cluster": "test", "user": user, "namespace": namespace}, **more}
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "test", "cluster": source["clusters"][0]["cluster"]}],
        "users": [{"name": user, "user": source["users"][0]["user"]}],
        "contexts": [{"name": k, "context": v} for k, v in contexts.items()],
        "current-context": context,
    }
    path.write_text(yaml.safe_dump(config))
    return path


def stamp(offset: float = 0.0, base: datetime | None = None) -> str:
    """An RFC 3339 time ``offset`` seconds from ``base`` (default now), as the operator writes them."""
    return ((base or datetime.now(UTC)) + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")


def step(name: str, phase: str, **fields: Any) -> Obj:
    """One ``status.steps[]`` entry (wire names)."""
    return {"name": name, "phase": phase, **fields}


def ready(phase: str, reason: str, message: str) -> list[Obj]:
    """The run's ``Ready`` condition."""
    status = "False" if phase == "Failed" else "True"
    return [
        {
            "type": "Ready",
            "status": status,
            "reason": reason,
            "message": message,
            "lastTransitionTime": stamp(),
        }
    ]


async def set_status(kube: KubeClient, namespace: str, name: str, status: Obj) -> Obj:
    """Replace the run's status as the operator does (the status subresource)."""
    return await kube.patch_status(ARK_RUNS, name, {"status": status}, namespace)


async def runs_of(kube: KubeClient, namespace: str) -> list[Obj]:
    """Every ArkRun of the namespace."""
    items, _ = await kube.list_all(ARK_RUNS, namespace)
    return items
