"""``ark completion``: the scripts it prints, and the bash one completing in a real bash."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from ark.cli.main import SUBCOMMANDS
from tests.support.completion import BIN, bash_complete


def completion_script(shell: str) -> str:
    done = subprocess.run([str(BIN / "ark"), "completion", shell], capture_output=True, text=True, check=True)
    return done.stdout


def test_bash_completes_ark_tr_to_ark_trigger() -> None:
    assert bash_complete("ark tr") == ["trigger"]


def test_bash_offers_every_command_after_ark() -> None:
    assert sorted(bash_complete("ark ")) == sorted(name for name, _ in SUBCOMMANDS)


def test_bash_completes_flags_and_choices_of_a_command() -> None:
    assert bash_complete("ark trigger --wa") == ["--watch"]
    assert sorted(bash_complete("ark completion ")) == ["bash", "fish", "zsh"]
    assert bash_complete("ark run --provider an") == ["anthropic"]


def test_without_a_cluster_no_team_names_are_offered_and_nothing_is_printed() -> None:
    # KUBECONFIG names no file: the lookup fails quietly, bash gets no candidates (not an error text).
    assert bash_complete("ark trigger ", env={"KUBECONFIG": "/nonexistent/kubeconfig"}) == []


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_each_shell_gets_a_script_that_registers_ark(shell: str) -> None:
    script = completion_script(shell)
    assert "_ARGCOMPLETE" in script
    registers = {"bash": "complete -o nospace", "zsh": "compdef _python_argcomplete ark", "fish": "complete "}
    assert registers[shell] in script


def test_the_bash_script_is_valid_bash() -> None:
    assert shutil.which("bash")
    checked = subprocess.run(["bash", "-n"], input=completion_script("bash"), capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
