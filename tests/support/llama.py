"""llama.cpp's ``llama-server``: a real OpenAI Chat Completions and Anthropic Messages server.

Built by ``hack/build-llama-server.sh`` (from the llama-cpp-python sdist on PyPI) into the cache
with the Gemma 3 270M model; built here first when missing. The model is a base model without a
chat template, so the server gets a plain ``role: text`` one and a stop string; its answers are
short and often wrong, so tests assert on protocol and outcome, never on content.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import httpx
from localcluster import free_port

from tests.support.process import LoggedProcess
from tests.support.wait import wait_for_sync

HACK = Path(__file__).resolve().parents[2] / "hack"
TEMPLATE = (
    "{%- for m in messages -%}\n"
    "{{ m.role }}: {% if m.content is string %}{{ m.content }}"
    "{% else %}{% for p in m.content %}{{ p.text }}{% endfor %}{% endif %}{{ '\\n' }}\n"
    "{%- endfor -%}\n"
    "assistant:"
)


def _version() -> str:
    for line in (HACK / "versions.env").read_text().splitlines():
        if line.startswith("LLAMA_CPP_PYTHON_VERSION="):
            return line.partition("=")[2].strip()
    raise RuntimeError("LLAMA_CPP_PYTHON_VERSION is missing from hack/versions.env")


def cache_dir() -> Path:
    """Where the build script puts ``bin/llama-server`` and ``model.gguf``."""
    root = Path(os.environ.get("ARK_CACHE") or Path.home() / ".cache" / "ark")
    return root / "llama" / _version()


def ensure_built() -> Path:
    """The cache directory, building the server and model first when they are missing (minutes)."""
    cache = cache_dir()
    if not (cache / "bin" / "llama-server").exists() or not (cache / "model.gguf").exists():
        subprocess.run([str(HACK / "build-llama-server.sh")], check=True, timeout=3600)
    return cache


class LlamaServer(LoggedProcess):
    """One ``llama-server`` on a free loopback port."""

    def __init__(self) -> None:
        cache = ensure_built()
        self.port = free_port()
        self._template = tempfile.NamedTemporaryFile("w", suffix=".jinja", delete=False)  # noqa: SIM115
        self._template.write(TEMPLATE)
        self._template.close()
        args = [
            str(cache / "bin" / "llama-server"),
            "--model", str(cache / "model.gguf"),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--jinja",
            "--chat-template-file", self._template.name,
            "--ctx-size", "2048",
            "--threads", "2",
            "--no-webui",
        ]  # fmt: skip
        super().__init__(args, os.environ, "llama-server-")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 120) -> None:
        def ready() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama-server exited: {self.log_text()[-2000:]}")
            return httpx.get(f"{self.url}/health", timeout=2).status_code == 200

        wait_for_sync(ready, timeout=timeout, interval=0.2, message="llama-server to load its model")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.terminate(timeout=20)
        super().close()
        Path(self._template.name).unlink(missing_ok=True)
