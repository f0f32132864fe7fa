"""The images the runner can run, and what each one's filesystem holds.

Interface::

    images = known_images(settings)                 # the ark image, the redis image
    image = image_of("redis:7.4-alpine", images)    # Image or None (kwok's, then)
    image.resolve("redis-server")                   # /usr/bin/redis-server, or None
    image.argv(container)                           # command + args, the entrypoint filled in
    repositories(images)                            # every repository, for kwok's stages

* **ark** (``ghcr.io/arkonis-dev/ark``, any tag or digest; ``--image-repository``): its programs
  are the venv's console scripts (``ark-operator``, ``ark-runtime``, ...). It has no entrypoint:
  the manifests name the program.
* **redis** (``redis``, ``docker.io/library/redis``): Debian's ``redis-server`` and ``redis-cli``.
  Its entrypoint runs ``redis-server`` with the container's args, as the official image's
  ``docker-entrypoint.sh`` does for arguments that are options.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podrunner.context import SYSTEM_PATH, Settings
from podrunner.process import resolve_program
from podrunner.stages import runs_image

Obj = dict[str, Any]
REDIS_REPOSITORIES = ("redis", "docker.io/library/redis")
REDIS_PROGRAMS = frozenset({"redis-server", "redis-cli"})


@dataclass(frozen=True)
class Image:
    """One image the runner plays: where its programs are and what it runs by default."""

    name: str
    repositories: tuple[str, ...]
    bin_dir: Path
    programs: frozenset[str] | None = None
    """The programs of the image; None: every executable of ``bin_dir``."""
    entrypoint: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        """``PATH`` as the image sets it: its programs first."""
        return f"{self.bin_dir}:{SYSTEM_PATH}"

    def matches(self, image: str) -> bool:
        """True when ``image`` (any tag or digest) is this image."""
        return any(runs_image(image, repository) for repository in self.repositories)

    def resolve(self, name: str) -> Path | None:
        """The executable for ``name`` (looked up by its basename), or None when the image has none."""
        if self.programs is not None and os.path.basename(name) not in self.programs:
            return None
        return resolve_program(name, self.bin_dir)

    def argv(self, container: Obj) -> list[str]:
        """What the container runs: ``command`` (else the entrypoint) followed by ``args``."""
        command = [str(part) for part in container.get("command") or self.entrypoint]
        return [*command, *(str(part) for part in container.get("args") or ())]


def _redis_dir() -> Path:
    found = shutil.which("redis-server", path="/usr/bin:/usr/local/bin:/bin")
    return Path(found).parent if found else Path("/usr/bin")


def known_images(settings: Settings) -> tuple[Image, ...]:
    """The ark image (from ``settings``) and the redis image."""
    return (
        Image("ark", (settings.repository,), settings.bin_dir),
        Image("redis", REDIS_REPOSITORIES, _redis_dir(), REDIS_PROGRAMS, ("redis-server",)),
    )


def image_of(image: str, images: Sequence[Image]) -> Image | None:
    """The known image ``image`` refers to, or None."""
    return next((known for known in images if known.matches(image)), None)


def repositories(images: Sequence[Image]) -> tuple[str, ...]:
    """Every repository of ``images``, for :func:`podrunner.stages.runner_stages`."""
    return tuple(repository for image in images for repository in image.repositories)
