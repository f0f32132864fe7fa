"""The sandbox helper's pure parts: container paths resolved inside the root, the plan file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from podrunner.sandbox import Mount, Plan, SandboxError, inside


def test_an_absolute_symlink_is_resolved_against_the_root_not_the_host(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "run").symlink_to("/run")
    path = "/var/run/secrets/kubernetes.io/serviceaccount"
    assert inside(str(tmp_path), path) == str(tmp_path / "run/secrets/kubernetes.io/serviceaccount")


def test_relative_links_dots_and_missing_parts(tmp_path: Path) -> None:
    (tmp_path / "usr" / "lib").mkdir(parents=True)
    (tmp_path / "lib").symlink_to("usr/lib")
    assert inside(str(tmp_path), "/lib/x") == str(tmp_path / "usr/lib/x")
    assert inside(str(tmp_path), "./data/") == str(tmp_path / "data")
    assert inside(str(tmp_path), "/a/../b") == str(tmp_path / "b")


def test_nothing_escapes_the_root(tmp_path: Path) -> None:
    assert inside(str(tmp_path), "/../../etc/hosts") == str(tmp_path / "etc/hosts")
    (tmp_path / "up").symlink_to("../../..")
    assert inside(str(tmp_path), "/up/etc") == str(tmp_path / "etc")


def test_a_symlink_loop_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(SandboxError, match="too many levels of symbolic links"):
        inside(str(tmp_path), "/a/x")


def test_the_plan_survives_its_file_which_only_its_owner_reads(tmp_path: Path) -> None:
    plan = Plan(
        root="/r",
        upper="/u",
        work="/w",
        program="/usr/bin/redis-server",
        argv=["/usr/bin/redis-server", "--port", "1"],
        env={"KEY": "secret"},
        cwd="/data",
        hostname="redis-0",
        mounts=[Mount("/host/data", "/data"), Mount("/host/hosts", "/etc/hosts", read_only=True)],
    )
    path = tmp_path / "plan.json"
    plan.write(path)
    assert Plan.read(path) == plan
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    command = plan.command(path)
    assert command[1:3] == ["-I", "-S"]
    assert command[-2:] == [str(Path(__file__).resolve().parents[3] / "hack/podrunner/sandbox.py"), str(path)]
