"""The Dockerfile, checked as far as a machine without a Docker engine can check it.

Parsed with dockerfile-parse (the instructions as Docker reads them, continuation lines joined):
every base pinned by digest, the final stage non-root with no RUN (so nothing is compiled or
installed in it), every COPY source present in the repository and let through .dockerignore,
and every program the image is asked to run one of our console scripts.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from dockerfile_parse import DockerfileParser

from ark.controllers.agent.deployment import render_deployment
from tests.unit.controllers.conftest import DEFAULTS, inputs

REPO = Path(__file__).resolve().parents[3]
DIGEST = re.compile(r"^[a-z0-9./_-]+(:[\w.-]+)?@sha256:[0-9a-f]{64}$")
IMAGE_REPOSITORY = "ghcr.io/arkonis-dev/ark"

Instruction = dict[str, Any]


def instructions() -> list[Instruction]:
    parser = DockerfileParser(path=str(REPO / "Dockerfile"))
    return list(parser.structure)


def stages() -> list[list[Instruction]]:
    """The instructions of each stage, FROM first."""
    result: list[list[Instruction]] = []
    for instruction in instructions():
        if instruction["instruction"] == "FROM":
            result.append([])
        if result:
            result[-1].append(instruction)
    return result


def console_scripts() -> set[str]:
    return set(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"])


def copy_sources(instruction: Instruction) -> list[str]:
    words = instruction["value"].split()
    return [w for w in words if not w.startswith("--")][:-1]


def test_every_base_image_is_pinned_by_digest() -> None:
    bases = [stage[0]["value"].split()[0] for stage in stages()]
    assert len(bases) >= 2, "multi-stage: a build stage and the final stage"
    for base in bases:
        assert DIGEST.match(base), f"FROM {base} is not pinned by digest"


def test_the_final_stage_runs_as_uid_65532_and_installs_nothing() -> None:
    final = stages()[-1]
    kinds = [i["instruction"] for i in final]
    users = [i["value"] for i in final if i["instruction"] == "USER"]
    assert users, "the final stage sets USER"
    uid = users[-1].split(":")[0]
    assert uid == "65532", f"USER {users[-1]}: must be the numeric non-root uid 65532"
    operator = yaml.safe_load((REPO / "manifests" / "operator" / "deployment.yaml").read_text())
    assert str(operator["spec"]["template"]["spec"]["securityContext"]["runAsUser"]) == uid
    # No RUN: no package manager, no compiler, nothing built in the image that ships.
    assert "RUN" not in kinds, f"the final stage runs commands: {kinds}"
    # Everything it holds comes from the build stage.
    copies = [i["value"] for i in final if i["instruction"] in ("COPY", "ADD")]
    assert copies
    assert all(c.startswith("--from=build ") for c in copies), copies


def test_the_wheel_is_built_in_the_first_stage_from_the_sources_it_copies() -> None:
    build = stages()[0]
    assert build[0]["value"].split()[-1] == "build", "the first stage is named build"
    runs = " ".join(i["value"] for i in build if i["instruction"] == "RUN")
    assert "pip wheel" in runs
    assert "--only-binary=:all:" in runs, "dependencies come as wheels: no compiler needed"
    copied = {Path(s).name for i in build if i["instruction"] == "COPY" for s in copy_sources(i)}
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert project["project"]["readme"] in copied
    assert {"pyproject.toml", "ark", "ark_runtime"} <= copied


def test_every_copy_source_exists_and_is_in_the_build_context() -> None:
    ignore = (REPO / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in ignore if line.strip() and not line.startswith("#")]
    assert patterns[0] == "*", ".dockerignore excludes everything, then lets through what is named"
    allowed = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    sources = [
        source
        for instruction in instructions()
        if instruction["instruction"] in ("COPY", "ADD") and "--from=" not in instruction["value"]
        for source in copy_sources(instruction)
    ]
    assert sources
    for source in sources:
        assert (REPO / source).exists(), f"COPY {source}: no such file in the repository"
        assert source.rstrip("/") in allowed, f"COPY {source}: excluded by .dockerignore"


def test_copy_from_names_an_earlier_stage() -> None:
    names: list[str] = []
    for stage in stages():
        for instruction in stage[1:]:
            match = re.search(r"--from=(\S+)", instruction["value"])
            if match:
                assert match.group(1) in names, f"{instruction['content'].strip()}: unknown stage"
        words = stage[0]["value"].split()
        if len(words) == 3 and words[1].upper() == "AS":
            names.append(words[2])


def test_the_default_command_is_a_console_script() -> None:
    commands = [i for i in instructions() if i["instruction"] in ("CMD", "ENTRYPOINT")]
    assert [i["instruction"] for i in commands] == ["CMD"], "no ENTRYPOINT: the manifests choose the program"
    argv = json.loads(commands[0]["value"])
    assert argv[0] in console_scripts()


def _image_containers(documents: list[Any]) -> list[dict[str, Any]]:
    containers = []
    for doc in documents:
        template = ((doc or {}).get("spec") or {}).get("template") or {}
        for container in (template.get("spec") or {}).get("containers") or ():
            if str(container.get("image", "")).startswith(IMAGE_REPOSITORY):
                containers.append(container)
    return containers


def shipped_manifests() -> list[Any]:
    documents: list[Any] = []
    for path in sorted((REPO / "manifests").rglob("*.yaml")):
        if "chart" in path.parts or "templates" in path.parts:
            continue
        documents += list(yaml.safe_load_all(path.read_text()))
    return documents


@pytest.mark.parametrize(
    "containers",
    [
        pytest.param(lambda: _image_containers(shipped_manifests()), id="manifests"),
        pytest.param(
            lambda: _image_containers([render_deployment(inputs(), DEFAULTS)]), id="agent-deployment"
        ),
    ],
)
def test_every_program_the_image_runs_is_one_of_our_console_scripts(containers: Any) -> None:
    found = containers()
    assert found, "some container runs the ark image"
    for container in found:
        command = container.get("command") or []
        assert command, f"container {container['name']} names its program (the image has no ENTRYPOINT)"
        assert command[0] in console_scripts(), f"{command[0]} is not in [project.scripts]"
