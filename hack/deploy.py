"""`make deploy` / `make undeploy`: manifests/default with the chosen image, against $KUBECONFIG.

Interface::

    python hack/deploy.py apply  --image IMG [--agent-env KEY=VALUE]... [--timeout 180]
    python hack/deploy.py delete --image IMG
    python hack/deploy.py render --image IMG [--agent-env KEY=VALUE]...   # what apply would send

    split_image("registry:5000/team/ark:dev")   # ImageRef(name=..., tag="dev", digest=None)
    overlay(image, agent_env, base)             # the kustomization (a dict) that apply writes

``apply`` writes a kustomization in a temporary directory: ``resources`` is ``manifests/default``,
the image is set through kustomize's ``images:`` (every container of the ark image, whatever its
tag), and the operator Deployment gets ``AGENT_IMAGE`` (agents run the same image) and, with
``--agent-env``, ``AGENT_EXTRA_ENV`` (the chart's ``agentExtraEnv``). Then ``kubectl apply
--server-side -k`` (server-side: the CRDs are too large for the last-applied annotation), a wait
for the Redis and operator rollouts, and what to do next. Conflicts are forced: running it again
puts back what a hand edit changed. ``delete`` removes exactly what
``apply`` created (``kubectl delete -k`` of the same kustomization), CRDs included. First it
deletes every ark object in every namespace with foreground cascading, while the CRDs are still
served: the garbage collector then removes their Deployments and pods before the call returns
(once a CRD is gone it can no longer look the owners up, and would leave them running).

kubectl is the virtualenv's (v1.36, kustomize v5.8 built in); it reads ``KUBECONFIG`` as usual.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DIR = REPO_DIR / "manifests" / "default"
REPOSITORY = "ghcr.io/arkonis-dev/ark"
NAMESPACE = "ark-system"
ROLLOUTS = ("deployment/redis", "deployment/ark-operator")
FIELD_MANAGER = "ark-deploy"


@dataclass(frozen=True)
class ImageRef:
    """An image reference split as kustomize's ``images:`` wants it."""

    name: str
    tag: str | None
    digest: str | None


def split_image(image: str) -> ImageRef:
    """``name[:tag][@digest]``; a ``:`` before the last ``/`` is a registry port, not a tag."""
    if not image or image != image.strip() or " " in image:
        raise ValueError(f"not an image reference: {image!r}")
    rest, _, digest = image.partition("@")
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        name, tag = rest[:colon], rest[colon + 1 :]
    else:
        name, tag = rest, ""
    if not name or (digest and not digest.startswith("sha256:")) or (colon > slash and not tag):
        raise ValueError(f"not an image reference: {image!r}")
    return ImageRef(name=name, tag=tag or None, digest=digest or None)


def overlay(image: str, agent_env: list[tuple[str, str]], base: str) -> dict[str, Any]:
    """The kustomization ``apply`` writes: ``base`` (a path relative to it) with ``image`` and env."""
    ref = split_image(image)
    entry: dict[str, str] = {"name": REPOSITORY, "newName": ref.name}
    if ref.tag:
        entry["newTag"] = ref.tag
    if ref.digest:
        entry["digest"] = ref.digest
    env = [{"name": "AGENT_IMAGE", "value": image}]
    if agent_env:
        # One KEY=VALUE per line: values may hold commas (docs/operator.md, AGENT_EXTRA_ENV).
        env.append({"name": "AGENT_EXTRA_ENV", "value": "\n".join(f"{k}={v}" for k, v in agent_env)})
    patch = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "ark-operator", "namespace": NAMESPACE},
        "spec": {"template": {"spec": {"containers": [{"name": "operator", "env": env}]}}},
    }
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [base],
        "images": [entry],
        "patches": [
            {"target": {"kind": "Deployment", "name": "ark-operator"}, "patch": yaml.safe_dump(patch)}
        ],
    }


def parse_agent_env(entries: list[str]) -> list[tuple[str, str]]:
    """``KEY=VALUE`` entries, checked as ark-operator checks ``--agent-env`` (errors name no value)."""
    from ark.operator.config import parse_env_assignments

    return list(parse_env_assignments(entries, "AGENT_ENV"))


def ark_resources(crd_dir: Path = REPO_DIR / "manifests" / "crd") -> list[str]:
    """``plural.group`` of every ark CRD, as kubectl names them."""
    names = []
    for path in sorted(crd_dir.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        if doc.get("kind") == "CustomResourceDefinition":
            names.append(f"{doc['spec']['names']['plural']}.{doc['spec']['group']}")
    # Teams first: their agents go with them, rather than being deleted and applied again.
    return sorted(names, key=lambda name: not name.startswith("arkteams."))


def kubectl() -> str:
    """The virtualenv's kubectl (the one next to this Python)."""
    path = Path(sys.executable).parent / "kubectl"
    if not os.access(path, os.X_OK):
        raise SystemExit(f"error: {path} is missing: run `make venv`")
    return str(path)


def _run(*args: str) -> int:
    print("+ kubectl " + " ".join(args), flush=True)
    return subprocess.run([kubectl(), *args], check=False).returncode


def _write_overlay(directory: Path, image: str, agent_env: list[tuple[str, str]]) -> Path:
    base = os.path.relpath(DEFAULT_DIR, directory)
    (directory / "kustomization.yaml").write_text(yaml.safe_dump(overlay(image, agent_env, base)))
    return directory


def _next_steps(image: str) -> None:
    print(f"\nark is running in namespace {NAMESPACE} (image {image}). Next:")
    print("  kubectl create secret generic llm-credentials --from-literal=OPENAI_API_KEY=...")
    print("      # or deploy with AGENT_ENV='AGENT_PROVIDER=mock' to try it without a key")
    print("  kubectl apply -f manifests/samples/team-pipeline.yaml")
    print('  ark trigger recipe-planner --input dish="tomato soup" --watch')
    print(f"  kubectl -n {NAMESPACE} logs deployment/ark-operator")
    print("Remove it with: make undeploy")


def main(argv: list[str] | None = None) -> int:
    """`python hack/deploy.py apply|delete|render`."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["apply", "delete", "render"])
    parser.add_argument("--image", default=f"{REPOSITORY}:latest", help="the ark image to deploy")
    parser.add_argument("--agent-env", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--timeout", default="180s", help="how long to wait for the rollouts")
    args = parser.parse_args(argv)
    try:
        agent_env = parse_agent_env(args.agent_env)
        split_image(args.image)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="ark-deploy-") as tmp:
        directory = _write_overlay(Path(tmp), args.image, agent_env)
        if args.command == "render":
            return subprocess.run([kubectl(), "kustomize", str(directory)], check=False).returncode
        if args.command == "delete":
            # Fails harmlessly when the CRDs are already gone (nothing of ark is left then).
            _run("delete", ",".join(ark_resources()), "--all", "--all-namespaces", "--cascade=foreground")
            return _run("delete", "-k", str(directory), "--ignore-not-found", "--wait=true")
        # --force-conflicts: what the manifests say wins over a hand edit (kubectl edit, replace).
        code = _run(
            "apply",
            "--server-side",
            "--force-conflicts",
            f"--field-manager={FIELD_MANAGER}",
            "-k",
            str(directory),
        )
        if code != 0:
            return code
    for rollout in ROLLOUTS:
        code = _run("-n", NAMESPACE, "rollout", "status", rollout, f"--timeout={args.timeout}")
        if code != 0:
            print(f"error: {rollout} did not become ready; see `kubectl -n {NAMESPACE} describe {rollout}`")
            return code
    _next_steps(args.image)
    return 0


if __name__ == "__main__":
    sys.exit(main())
