"""The sandbox helper for real (root): volumes at their mount paths, the pod's hosts file and
hostname, read-only mounts, and a host filesystem left exactly as it was."""

from __future__ import annotations

import subprocess
from pathlib import Path

from podrunner.sandbox import Mount, Plan

SCRIPT = """
cat /data/hello
echo more >/data/written
cat /var/run/secrets/kubernetes.io/serviceaccount/token; echo
getent hosts redis.ark-system.svc.cluster.local
hostname
touch /var/run/secrets/kubernetes.io/serviceaccount/x 2>/dev/null || echo read-only
touch /created-by-the-container
pwd
echo "$ONLY"
"""


def test_a_container_sees_its_volumes_and_the_host_is_untouched(tmp_path: Path) -> None:
    data, token, layer = tmp_path / "data", tmp_path / "token", tmp_path / "layer"
    for directory in (data, token, layer / "root", layer / "upper", layer / "work"):
        directory.mkdir(parents=True)
    (data / "hello").write_text("hello from the volume\n")
    (token / "token").write_text("t0ken")
    hosts = tmp_path / "hosts"
    hosts.write_text(
        "127.0.0.1\tlocalhost\n127.123.4.5\tredis.ark-system.svc.cluster.local redis.ark-system\n"
    )
    plan = Plan(
        root=str(layer / "root"),
        upper=str(layer / "upper"),
        work=str(layer / "work"),
        program="/bin/sh",
        argv=["/bin/sh", "-c", SCRIPT],
        env={"PATH": "/usr/bin:/bin", "ONLY": "the container's environment"},
        cwd="/data",
        hostname="redis-7d9f-abcde",
        mounts=[
            Mount(str(data), "/data"),
            Mount(str(token), "/var/run/secrets/kubernetes.io/serviceaccount", read_only=True),
            Mount(str(hosts), "/etc/hosts", read_only=True),
        ],
    )
    plan_file = tmp_path / "plan.json"
    plan.write(plan_file)
    secrets_before = Path("/run/secrets").exists()
    done = subprocess.run(plan.command(plan_file), capture_output=True, text=True, timeout=30, env={})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "hello from the volume",
        "t0ken",
        "127.123.4.5     redis.ark-system.svc.cluster.local redis.ark-system",
        "redis-7d9f-abcde",
        "read-only",
        "/data",
        "the container's environment",
    ]
    assert (data / "written").read_text() == "more\n", "the volume is the host directory"
    assert not Path("/created-by-the-container").exists(), "writes elsewhere go to the layer"
    assert (layer / "upper" / "created-by-the-container").exists()
    assert Path("/run/secrets").exists() == secrets_before, "the mount point was made in the layer"
    assert not plan_file.exists(), "the plan (it holds the environment) is removed once read"


def test_a_failure_names_the_step_and_exits_as_a_start_error(tmp_path: Path) -> None:
    plan = Plan(
        root=str(tmp_path / "missing"),
        upper="/nope",
        work="/nope",
        program="/bin/true",
        argv=["true"],
        env={},
    )
    plan_file = tmp_path / "plan.json"
    plan.write(plan_file)
    done = subprocess.run(plan.command(plan_file), capture_output=True, text=True, timeout=30, env={})
    assert done.returncode == 128
    assert "podrunner sandbox: cannot start the container: mount overlay on" in done.stderr


def test_an_empty_dir_over_a_parent_does_not_hide_the_image_files(tmp_path: Path) -> None:
    # The agents' emptyDir sits at /tmp; a checkout under /tmp (a CI clone) must still run.
    image = tmp_path / "checkout" / ".venv" / "bin"
    image.mkdir(parents=True)
    (image / "program").write_text("the image's program\n")
    empty, layer = tmp_path / "empty", tmp_path / "layer"
    for directory in (empty, layer / "root", layer / "upper", layer / "work"):
        directory.mkdir(parents=True)
    plan = Plan(
        root=str(layer / "root"),
        upper=str(layer / "upper"),
        work=str(layer / "work"),
        program="/bin/sh",
        argv=["/bin/sh", "-c", f"cat {image / 'program'}"],
        env={"PATH": "/usr/bin:/bin"},
        mounts=[Mount(str(empty), str(tmp_path.anchor + tmp_path.parts[1]))],
        keep=[str(tmp_path / "checkout")],
    )
    plan_file = tmp_path / "plan.json"
    plan.write(plan_file)
    done = subprocess.run(plan.command(plan_file), capture_output=True, text=True, timeout=30, env={})
    assert done.returncode == 0, done.stderr
    assert done.stdout == "the image's program\n"
