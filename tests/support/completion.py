"""Drive the completion script ``ark completion bash`` prints in a real bash, as a TAB would.

``bash_complete("ark tr", env)`` loads the script into a fresh ``bash --norc``, sets
``COMP_LINE``, ``COMP_POINT``, ``COMP_WORDS`` and ``COMP_CWORD`` as readline does for a cursor at
the end of the line, calls the function the script registered for ``ark`` (read back from
``complete -p ark``) and returns ``COMPREPLY``.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent

SCRIPT = r"""
source <(ark completion bash) || exit 3
function_name=$(complete -p ark | sed -n 's/.*-F \([^ ]*\).*/\1/p')
[ -n "$function_name" ] || exit 4
COMP_LINE=$1
COMP_POINT=${#COMP_LINE}
read -r -a COMP_WORDS <<<"$COMP_LINE"
[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
"$function_name" ark "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"""


def bash_complete(line: str, env: dict[str, str] | None = None, timeout: float = 30) -> list[str]:
    """What bash offers for ``line`` (cursor at its end), each candidate stripped of its trailing space."""
    shell_env = {"HOME": os.environ.get("HOME", "/tmp"), **(env or {})}
    # The installed `ark` first, as after activating the virtualenv.
    shell_env["PATH"] = f"{BIN}:{shell_env.get('PATH', '/usr/bin:/bin')}"
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", SCRIPT, "complete", line],
        capture_output=True,
        text=True,
        env=shell_env,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"bash exited {done.returncode} for {shlex.quote(line)}: {done.stderr}"
    return [candidate.rstrip(" ") for candidate in done.stdout.splitlines() if candidate.strip()]
