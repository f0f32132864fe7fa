"""Which images the runner plays, what their programs are and what a container runs."""

from __future__ import annotations

from pathlib import Path

from podrunner.context import Settings
from podrunner.images import REDIS_REPOSITORIES, Image, image_of, known_images, repositories


def test_the_ark_image_runs_console_scripts_and_has_no_entrypoint(tmp_path: Path) -> None:
    script = tmp_path / "ark-runtime"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    ark, redis = known_images(Settings(bin_dir=tmp_path))
    assert image_of("ghcr.io/arkonis-dev/ark:0.1.0", (ark, redis)) is ark
    assert image_of("redis:7.4-alpine", (ark, redis)) is redis
    assert image_of("docker.io/library/redis@sha256:" + "0" * 64, (ark, redis)) is redis
    assert image_of("nginx:1", (ark, redis)) is None
    assert ark.resolve("/usr/local/bin/ark-runtime") == script
    assert ark.resolve("ark-operator") is None
    assert ark.argv({"command": ["ark-runtime"], "args": ["--x"]}) == ["ark-runtime", "--x"]
    assert ark.path.startswith(f"{tmp_path}:")


def test_the_redis_image_offers_only_its_programs_and_runs_redis_server_by_default(tmp_path: Path) -> None:
    for name in ("redis-server", "redis-cli", "sh"):
        (tmp_path / name).write_text("#!/bin/sh\n")
        (tmp_path / name).chmod(0o755)
    redis = Image(
        "redis", REDIS_REPOSITORIES, tmp_path, frozenset({"redis-server", "redis-cli"}), ("redis-server",)
    )
    assert redis.resolve("redis-cli") == tmp_path / "redis-cli"
    assert redis.resolve("sh") is None, "not a program of the image"
    assert redis.argv({"args": ["--appendonly", "yes"]}) == ["redis-server", "--appendonly", "yes"]
    assert redis.argv({}) == ["redis-server"]
    assert redis.argv({"command": ["redis-cli"], "args": ["ping"]}) == ["redis-cli", "ping"]


def test_every_repository_is_listed_for_kwoks_stages() -> None:
    images = known_images(Settings(repository="localhost:5000/ark"))
    assert repositories(images) == ("localhost:5000/ark", "redis", "docker.io/library/redis")
