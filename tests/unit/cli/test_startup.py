"""`ark --help` and `ark <command> --help` start without loading what only the work needs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ark.cli.main import SUBCOMMANDS
from tests.unit.api.conftest import REPO

# Packages a help screen has no use for; each costs tens of milliseconds to import.
HEAVY = ("pydantic", "yaml", "asyncio", "httpx", "rich", "jsonschema", "mcp", "tenacity", "opentelemetry")


# A fresh `ark` process that lists the modules it loaded when it exits (argparse exits on --help).
ARK_LISTING_MODULES = (
    "import atexit, sys\n"
    "atexit.register(lambda: sys.stderr.write('\\n'.join(sorted(sys.modules))))\n"
    "from ark.cli.main import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def imported_modules(*args: str) -> set[str]:
    """Every module a fresh ``ark *args`` process had loaded when it exited."""
    done = subprocess.run(
        [sys.executable, "-c", ARK_LISTING_MODULES, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return set(done.stderr.split())


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY or m.startswith(("ark.api", "ark.flow")))


def test_ark_help_lists_every_command_and_imports_none_of_them() -> None:
    modules = imported_modules("--help")

    assert heavy(modules) == []
    assert not [m for m in modules if m.startswith("ark.cli.") and m != "ark.cli.main"]


@pytest.mark.parametrize("command", [name for name, _ in SUBCOMMANDS])
def test_a_command_help_imports_only_its_own_module(command: str) -> None:
    modules = imported_modules(command, "--help")

    assert heavy(modules) == []
    assert f"ark.cli.{command}" in modules


def test_the_help_screen_shows_each_summary() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ark.cli.main", "--help"], capture_output=True, text=True, cwd=REPO, check=True
    )

    # A name too long for the column ("completion") has its summary on the next line.
    listed = " ".join(line for line in done.stdout.splitlines() if line.startswith("    "))
    expected = " ".join(f"{name} {summary}" for name, summary in SUBCOMMANDS)
    assert " ".join(listed.split()) == expected


@pytest.mark.parametrize(
    "args",
    [
        ("validate", "manifests/samples/arkteam.yaml"),
        ("run", "manifests/samples/team-pipeline.yaml", "--provider", "mock", "--input", "dish=soup"),
    ],
    ids=["validate", "run"],
)
def test_validate_and_run_use_the_generated_validators(args: tuple[str, ...]) -> None:
    # pydantic's own build of a validator looks up plugins through importlib.metadata (~20 ms);
    # the validators built from ark/api/schemas need neither.
    modules = imported_modules(*args)

    assert "ark.api.validators" in modules
    assert "importlib.metadata" not in modules
