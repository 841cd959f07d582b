"""The staged folder of one submission: what the sandbox sees, and where.

``runtime/`` (the worker and its probes, stdlib only), ``reference/`` (the
reference modules), ``submission/`` (the student's modules, and nothing else)
are read-only to student code; ``scratch/`` is its working directory, the
only place it may write.  ``staging.staged`` builds it; the sandbox levels
bind or open it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PIECES = ("runtime", "reference", "submission")  # read-only to student code
SCRATCH = "scratch"


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def runtime(self) -> Path:
        return self.root / "runtime"

    @property
    def reference(self) -> Path:
        return self.root / "reference"

    @property
    def submission(self) -> Path:
        return self.root / "submission"

    @property
    def scratch(self) -> Path:
        return self.root / SCRATCH

    @property
    def worker(self) -> Path:
        return self.runtime / "worker.py"

    def read_only(self) -> list[Path]:
        return [self.root / piece for piece in PIECES]

    def create(self) -> Layout:
        for folder in [*self.read_only(), self.scratch]:
            folder.mkdir(parents=True, exist_ok=True)
        return self
