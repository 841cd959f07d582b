"""How a worker process is fenced in: interpreter, limits, process group.

``Isolation.spawn`` starts ``python -I worker.py`` for one part with the
operating system's limits applied; ``kill`` removes the worker and every
process it started.  ``level`` says, in the result, what protected this run.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

MiB = 1 << 20


@dataclass(frozen=True)
class ResourceLimits:
    cpu_seconds: int = 30
    address_space: int = 2048 * MiB
    file_size: int = 16 * MiB
    open_files: int = 64
    processes: int = 64  # per uid; ignored by the kernel for root


@dataclass
class Isolation:
    """Spawns workers over a staged directory (runtime/, submission/, reference/)."""

    workdir: Path
    python: str = sys.executable
    limits: ResourceLimits = field(default_factory=ResourceLimits)
    level: str = "process: separate process group, rlimits, python -I, minimal environment"

    def spawn(self, request_fd: int, answer_fd: int) -> subprocess.Popen:
        runtime = self.workdir / "runtime"
        argv = [self.python, "-I", str(runtime / "worker.py"), str(runtime), str(request_fd), str(answer_fd)]
        return subprocess.Popen(
            argv,
            cwd=self.workdir / "scratch",
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(request_fd, answer_fd),
            start_new_session=True,  # its own process group: killed as a whole
            preexec_fn=self._apply_limits,
        )

    def _apply_limits(self) -> None:
        limits = self.limits
        for which, value in (
            (resource.RLIMIT_CPU, limits.cpu_seconds),
            (resource.RLIMIT_AS, limits.address_space),
            (resource.RLIMIT_FSIZE, limits.file_size),
            (resource.RLIMIT_NOFILE, limits.open_files),
            (resource.RLIMIT_NPROC, limits.processes),
            (resource.RLIMIT_CORE, 0),
        ):
            resource.setrlimit(which, (value, value))

    def kill(self, process: subprocess.Popen) -> None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
