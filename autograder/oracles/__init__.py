"""Trusted oracles: what the right answer is, computed without the student's code."""

from __future__ import annotations

import contextlib
import threading


def import_torch_meanwhile() -> None:
    """Start importing torch in a thread of its own.

    A single ``grade`` first starts the sandbox and runs the operation checks,
    which mostly wait for the sandboxed worker; the PyTorch oracles are asked
    only later.  Importing torch (seconds) during that wait takes it off the
    critical path: an oracle's ``import torch`` then finds it done, or waits
    for the import in progress (Python's import lock).  A batch imports torch
    before forking its graders instead.
    """

    def load() -> None:
        with contextlib.suppress(ImportError):  # no torch: the oracle that needs it says so itself
            import torch  # noqa: F401

    threading.Thread(target=load, name="import-torch", daemon=True).start()
