"""Run a command and count the CPU of every process it starts, sandboxed ones included.

    python benchmarks/cpu_tree.py OUT.json -- COMMAND [ARG ...]

A process's CPU reaches its parent's ``RUSAGE_CHILDREN`` only when the parent waits for it; a
sandbox's processes are reaped inside their PID namespace, or orphaned to PID 1 when their parent
is killed, so a plain ``getrusage`` of the command misses them.  Here this process becomes a child
subreaper (``PR_SET_CHILD_SUBREAPER``): every orphan of the tree is re-parented to it, not to PID
1, and it reaps them all, so ``RUSAGE_CHILDREN`` holds the whole tree's user and system time.  It
works the same for any commit of the kit (the bench's baseline too).  Writes
``{"returncode", "wall", "cpu", "user", "system"}`` to OUT.json.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def main(argv: list[str]) -> int:
    out, separator, *command = argv
    assert separator == "--" and command, __doc__
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
    start = time.perf_counter()
    child = os.fork()
    if child == 0:
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    returncode, wall, deadline = None, 0.0, None
    while True:  # reap the command, then every orphan it left (for 10 s at most), until no child is left
        try:
            pid, status = os.waitpid(-1, 0 if deadline is None else os.WNOHANG)
        except ChildProcessError:
            break
        if pid == child:
            returncode, wall = os.waitstatus_to_exitcode(status), time.perf_counter() - start
            deadline = time.monotonic() + 10
        elif pid == 0:  # orphans still running after the command ended
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "w") as f:
        json.dump({"returncode": returncode, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                   "user": usage.ru_utime, "system": usage.ru_stime}, f)
    return 0 if returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
