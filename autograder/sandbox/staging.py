"""A submission's private copy: the runtime, the reference, and only the student's modules.

Staged in memory (/dev/shm) when the sandbox is bubblewrap, which writes
nothing there; else in the system's temporary directory, where the other
levels' ``scratch/`` lives.  Removed when grading ends.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..intake.submission import Submission
from ..rubric import MODULES
from .isolation import staging_dir
from .layout import Layout

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # autograder/
RUNTIME_DIR = PACKAGE_DIR / "sandbox" / "runtime"
PROBES = PACKAGE_DIR.parent / "micrograd_feedback" / "probes.py"  # stdlib only: it runs beside the student's code
REFERENCE_DIR = PACKAGE_DIR.parent / "solutions"


STAGING_PREFIX = "micrograd-grade-"  # then the grader's pid: a folder whose grader is gone is stale


@contextmanager
def staged(submission: Submission) -> Iterator[Layout]:
    layout = Layout(Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid():07d}-", dir=staging_dir())))
    try:
        shutil.copytree(RUNTIME_DIR, layout.runtime, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(PROBES, layout.runtime / "probes.py")
        layout.create()
        for module in MODULES:
            shutil.copy(REFERENCE_DIR / f"{module}.py", layout.reference / f"{module}.py")
        for module, source in submission.sources.items():
            (layout.submission / f"{module}.py").write_text(source, encoding="utf-8")
        yield layout
    finally:
        shutil.rmtree(layout.root, ignore_errors=True)


def remove_stale() -> int:
    """Remove staging folders whose grader died without cleaning up (``kill -9``); how many."""
    removed = 0
    for folder in Path(staging_dir() or tempfile.gettempdir()).glob(f"{STAGING_PREFIX}*"):
        owner = folder.name.removeprefix(STAGING_PREFIX).split("-", 1)[0]
        try:
            mine = folder.lstat().st_uid == os.geteuid() and folder.is_dir() and not folder.is_symlink()
        except OSError:
            continue
        if mine and owner.isdigit() and not _alive(int(owner)):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
