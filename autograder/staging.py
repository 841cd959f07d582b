"""A submission's private copy: the runtime, the reference, and only the student's modules.

Staged in memory (/dev/shm) when the sandbox is bubblewrap, which writes
nothing there; else in the system's temporary directory, where the other
levels' ``scratch/`` lives.  Removed when grading ends.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .rubric import MODULES
from .sandbox.isolation import staging_dir
from .sandbox.layout import Layout
from .submission import Submission

PACKAGE_DIR = Path(__file__).resolve().parent
RUNTIME_DIR = PACKAGE_DIR / "sandbox" / "runtime"
PROBES = PACKAGE_DIR.parent / "micrograd_feedback" / "probes.py"  # stdlib only: it runs beside the student's code
REFERENCE_DIR = PACKAGE_DIR.parent / "solutions"


@contextmanager
def staged(submission: Submission) -> Iterator[Layout]:
    layout = Layout(Path(tempfile.mkdtemp(prefix="micrograd-grade-", dir=staging_dir())))
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
