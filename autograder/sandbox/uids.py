"""Sandbox uids: one unprivileged uid per grading, so limits and killing are exact.

As root the grader does not use ``nobody`` (shared by many gradings and
services) but a uid of its own per grading, held by a lock file, so that
RLIMIT_NPROC is per submission and "kill every process of this uid" hits
that submission only.  No account is needed.
"""

from __future__ import annotations

import fcntl
import os
import stat
import tempfile
from pathlib import Path

from .layout import Layout
from .proctable import kill_uid

UID_BASE = 1_100_000  # sandbox uids: UID_BASE .. UID_BASE + UID_COUNT - 1
UID_COUNT = 4096
# A lock file's content: what its last holder left.  "clean": its sandbox's control group was empty when it
# let go (every process the sandbox ran is in its group), so the next holder need not scan /proc for the
# uid; anything else (a holder killed mid-grading, no group) means it must.
CLEAN, IN_USE = b"clean\n", b"in use\n"


def allocate() -> tuple[int, int]:
    """A sandbox uid no other grading on this machine is using now, and the lock that holds it."""
    locks = lock_path(UID_BASE).parent
    locks.mkdir(mode=0o700, exist_ok=True)
    info = locks.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise OSError(f"{locks} is not ours")
    start = os.getpid() % UID_COUNT
    for i in range(UID_COUNT):
        uid = UID_BASE + (start + i) % UID_COUNT
        fd = os.open(lock_path(uid), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        os.set_inheritable(fd, False)
        if os.pread(fd, len(CLEAN) + 1, 0) != CLEAN:
            kill_uid(uid)  # leftovers of a grader that was killed itself
        _mark(fd, IN_USE)
        return uid, fd
    raise OSError("no free sandbox uid")


def lock_path(uid: int) -> Path:
    """The lock file that holds ``uid``."""
    run = Path("/run")  # root-only, so nobody can pre-create the folder; else the temp dir
    base = run if os.geteuid() == 0 and os.access(run, os.W_OK) else Path(tempfile.gettempdir())
    return base / f"micrograd-sandbox-uids-{os.geteuid()}" / str(uid)


def release(fd: int, clean: bool) -> None:
    """Let go of a uid's lock, saying whether nothing of its sandbox can be left (``CLEAN``)."""
    try:
        if clean:
            _mark(fd, CLEAN)
    finally:
        os.close(fd)


def _mark(fd: int, state: bytes) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, state, 0)


def open_for(layout: Layout, uid: int) -> None:
    """Let ``uid`` read the staged pieces and write only scratch/."""
    os.chmod(layout.root, 0o711)
    for root in layout.read_only():
        for path in [root, *root.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
    os.chown(layout.scratch, uid, uid)
    os.chmod(layout.scratch, 0o700)
