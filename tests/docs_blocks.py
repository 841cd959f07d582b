"""The marked blocks of the docs, as the tests that run them word for word read them.

A doc marks a block with a comment on the line before its fence: ``<!-- recipe: NAME -->`` for
commands a test runs, ``<!-- file: NAME -->`` for a file a test writes as it is.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def marked_block(doc: str, marker: str) -> str:
    """The text of the fenced block right after ``<!-- marker -->`` in ``docs/<doc>``."""
    text = (ROOT / "docs" / doc).read_text()
    after = text.split(f"<!-- {marker} -->\n```", 1)[1]
    return after.split("\n", 1)[1].split("```", 1)[0]


def recipe(doc: str, name: str) -> list[str]:
    """The commands of ``<!-- recipe: name -->`` in ``docs/<doc>``, one per line."""
    return [line for line in marked_block(doc, f"recipe: {name}").splitlines() if line.strip()]


def kit_env() -> dict[str, str]:
    """A user's shell: the kit's Python first on PATH (``python``, ``make``'s venv), the kit importable."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": str(ROOT)}


def run_autograder(command: str, cwd: Path) -> subprocess.CompletedProcess:
    """One ``python -m autograder ...`` line of a recipe, as a user types it, in ``cwd``; it must succeed."""
    assert command.startswith("python -m autograder "), command
    done = subprocess.run(shlex.split(command), cwd=cwd, env=kit_env(), capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, f"{command}:\n{done.stderr[-3000:]}"
    return done
