"""Work a batch needs only at its end, done while it grades: in a child forked before the graders.

The class report's similar code (``similarity.py``) reads the submissions only, never their results,
and took a quarter of a 120-submission batch's time after the last one was graded, on one core.
``Meanwhile`` forks a child that computes it while the graders run.  ``result()`` takes the child's
answer (pickled back through a pipe; the child writes it only once complete) or, if the child could
not give one (it died, was interrupted, raised), computes it here as before: the report is the same
either way.  It forks only while this process has no other thread (a forked copy of another thread's
locks could hang the child, and the batch waiting for it); otherwise ``result()`` computes it here.  A
child that still has not answered ``patience`` seconds after ``result()`` was called is killed and the
answer computed here: whatever the child does, the batch ends.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

PR_SET_PDEATHSIG = 1
# The graders come first: the child takes the CPU they leave (while they wait on their sandboxes), then the
# rest once they are done. Alternating batches of 120 on 2 cores: no slower than at 0 or 5, locally or on Dask.
NICENESS = 15


class Meanwhile(Generic[T]):
    """``function(*args)``, computed in a forked child from now on; ``result()`` waits for it, at most
    ``patience`` seconds (None: as long as the child lives)."""

    def __init__(self, function: Callable[..., T], *args: object, patience: float | None = None) -> None:
        self.function, self.args, self.patience = function, args, patience
        self.pid, self._answer = -1, -1
        if threading.active_count() > 1:
            return  # e.g. a Dask client already running in this process: computed here, at the end
        try:
            read, write = os.pipe()
        except OSError:
            return  # no child: result() computes it here
        try:
            pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            return
        if pid == 0:  # the child: answer, then leave without running the parent's exit handlers
            status = 1
            try:
                os.close(read)
                _die_with_parent()
                os.nice(NICENESS)
                data = pickle.dumps(function(*args))
                with os.fdopen(write, "wb") as pipe:
                    pipe.write(data)
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        self.pid, self._answer = pid, read

    def result(self) -> T:
        """The child's answer, or ``function(*args)`` computed here when it has none within ``patience`` s."""
        if self.pid > 0:
            pid, self.pid = self.pid, -1
            data = _read_to_end(self._answer, None if self.patience is None else time.monotonic() + self.patience)
            if data is None:  # out of patience: the child is stuck, or starved
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):  # a pool's waitpid(-1) may have reaped it already
                os.waitpid(pid, 0)
            with contextlib.suppress(Exception):  # nothing, or cut short: not a complete pickle
                return pickle.loads(data or b"")
        return self.function(*self.args)


def _read_to_end(fd: int, deadline: float | None) -> bytes | None:
    """All the pipe holds once its writer is gone (the child wrote its whole answer, or nothing, or died),
    or None at the deadline."""
    chunks = []
    with contextlib.suppress(OSError), os.fdopen(fd, "rb", buffering=0) as pipe:
        while True:
            if deadline is not None and not select.select([pipe], [], [], max(0.0, deadline - time.monotonic()))[0]:
                return None
            if not (chunk := pipe.read(1 << 16)):
                break
            chunks.append(chunk)
    return b"".join(chunks)


def _die_with_parent() -> None:
    """The child ends with the batch (killed, or stopped by nbgrader-autograde), not 120 s later."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
