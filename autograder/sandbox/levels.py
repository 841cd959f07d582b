"""The isolation levels, strongest first: each one's command, probe and clean-up in one place.

``bwrap``    bubblewrap: private PID, network, IPC, UTS, mount and user
             namespaces, a read-only view of /usr, only the staged pieces bound,
             private capped tmpfs for the writable places, dies with the grader;
             as root also an unprivileged uid of its own.
``unshare``  root without bubblewrap: ``unshare --net --pid --mount-proc`` (no
             network, a PID namespace) and an unprivileged uid (``setpriv``); the
             file system is visible with that uid's permissions.
``uid``      root without namespaces: an unprivileged uid only.
``process``  no root, no namespaces: a separate session / process group and
             the rlimits; student code runs with the grader's own uid.

``available(cap)`` is the strongest level that works here, no stronger than
``cap`` (``$MICROGRAD_SANDBOX``).  Each level is probed once per process by
running a Python in it.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from . import uids
from .layout import Layout
from .proctable import kill_marked, kill_uid

MiB = 1 << 20
WRITABLE_BYTES = 64 * MiB  # each tmpfs inside the bwrap sandbox (/tmp, /dev/shm, scratch/)
SYSTEM_RO = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_RO = ("/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
          "/etc/matplotlibrc", "/etc/python3", "/etc/python3.11")
UNSHARE = ["unshare", "--net", "--pid", "--fork", "--kill-child", "--mount-proc", "--"]  # no network, own PIDs
# MPLBACKEND: matplotlib never looks for a display (it caches fonts in HOME, the sandbox's scratch/).
ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
       "MPLBACKEND": "Agg"}


@dataclass(frozen=True)
class Level:
    """One way of fencing in the sandbox's processes."""

    name: str = "process"
    description: str = "process: separate process group"
    needs_root: bool = False

    def drops_uid(self) -> bool:
        """Whether, as root, the sandbox runs as an unprivileged uid of its own."""
        return os.geteuid() == 0

    def uid_by_wrapper(self) -> bool:
        """Whether the exec wrappers change the uid (else ``wrap`` does, inside a namespace)."""
        return True

    def wrap(self, inner: list[str], layout: Layout, uid: int | None) -> list[str]:
        """The command that runs ``inner`` at this level."""
        return inner

    def python(self) -> str | None:
        """An interpreter the sandbox can run: ours if it is readable there, else the system's."""
        for candidate in (os.path.realpath(sys.executable), "/usr/bin/python3"):
            if os.path.isfile(candidate) and _world_readable(candidate) and self.can_see(candidate):
                return candidate
        return None

    def can_see(self, path: str) -> bool:
        return True

    def clean_up(self, uid: int | None, token: str) -> None:
        """Kill whatever of the sandbox escaped its process group."""
        if uid is not None:
            kill_uid(uid)
        else:
            kill_marked(token)  # same uid as ours: found by the token in their environment

    def shares_pid_namespace(self) -> bool:
        return True

    def usable_here(self) -> bool:
        return not self.needs_root or os.geteuid() == 0


@dataclass(frozen=True)
class ProcessLevel(Level):
    def drops_uid(self) -> bool:
        return False

    def python(self) -> str | None:
        return sys.executable


@dataclass(frozen=True)
class UidLevel(Level):
    name: str = "uid"
    description: str = "separate uid"
    needs_root: bool = True


@dataclass(frozen=True)
class UnshareLevel(Level):
    name: str = "unshare"
    description: str = "unshare: PID and network namespaces"
    needs_root: bool = True

    def uid_by_wrapper(self) -> bool:
        return False  # setpriv runs inside unshare, after the namespaces are made

    def wrap(self, inner: list[str], layout: Layout, uid: int | None) -> list[str]:
        return [*UNSHARE, *as_uid(uid), *inner]

    def shares_pid_namespace(self) -> bool:
        return False

    def usable_here(self) -> bool:
        return super().usable_here() and bool(shutil.which("unshare") and shutil.which("setpriv"))


@dataclass(frozen=True)
class BwrapLevel(Level):
    name: str = "bwrap"
    description: str = "bwrap: PID/network/IPC/mount namespaces, read-only system, only the staged files"

    def wrap(self, inner: list[str], layout: Layout, uid: int | None) -> list[str]:
        return bwrap_argv(layout) + inner

    def can_see(self, path: str) -> bool:
        return any(path.startswith(d + "/") for d in SYSTEM_RO)

    def clean_up(self, uid: int | None, token: str) -> None:
        if uid is not None:  # the PID namespace died with its init; a uid of our own is checked anyway
            kill_uid(uid)

    def shares_pid_namespace(self) -> bool:
        return False

    def usable_here(self) -> bool:
        return bool(shutil.which("bwrap"))


LEVELS: dict[str, Level] = {level.name: level for level in (BwrapLevel(), UnshareLevel(), UidLevel(), ProcessLevel())}


def bwrap_argv(layout: Layout | Path) -> list[str]:
    """bubblewrap around a worker: the system read-only, the staged pieces at their own paths."""
    layout = layout if isinstance(layout, Layout) else Layout(Path(layout))
    # --as-pid-1: the zygote is the namespace's init, which the kernel shields from signals
    # sent inside the namespace, and which reaps (and on exit kills) every orphan.
    argv = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--as-pid-1", "--hostname", "sandbox"]
    for path in SYSTEM_RO:
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", path, path]
    for path in ETC_RO:
        argv += ["--ro-bind-try", path, path]
    # The only writable places are tmpfs of the sandbox's own, capped: without --size a tmpfs may
    # grow to half the machine's memory, file by file under RLIMIT_FSIZE.  bwrap's own root and
    # /dev are tmpfs too, with no size: both are made read-only.
    size = str(WRITABLE_BYTES)
    argv += ["--proc", "/proc", "--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm", "--remount-ro", "/dev"]
    argv += ["--size", size, "--tmpfs", "/tmp"]
    for piece in layout.read_only():
        argv += ["--ro-bind", str(piece), str(piece)]
    scratch = str(layout.scratch)
    argv += ["--size", size, "--tmpfs", scratch, "--chdir", scratch]
    return argv + ["--remount-ro", "/"]


def as_uid(uid: int | None) -> list[str]:
    """``setpriv`` to run the rest as ``uid`` (its own group, no supplementary groups); nothing for None."""
    return [] if uid is None else ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]


@cache
def works(name: str) -> bool:
    """Whether level ``name`` runs a Python here, in a PID namespace of its own where it has one."""
    level = LEVELS[name]
    if name == "process":
        return True
    python = level.python()
    if not level.usable_here() or python is None:
        return False
    root = os.geteuid() == 0
    with tempfile.TemporaryDirectory(prefix="micrograd-probe-") as tmp:
        layout = Layout(Path(tmp)).create()
        uid, lock = uids.allocate() if root else (None, -1)
        try:
            if uid is not None:
                uids.open_for(layout, uid)
            argv = level.wrap([python, "-I", "-c", "import os; print(os.getpid())"], layout, uid)
            drop = uid is not None and level.uid_by_wrapper()
            kwargs: dict[str, Any] = {"user": uid, "group": uid, "extra_groups": []} if drop else {}
            done = subprocess.run(argv, cwd=layout.scratch, env=dict(ENV), capture_output=True, timeout=20,
                                  stdin=subprocess.DEVNULL, **kwargs)
            if done.returncode != 0:
                return False
            return level.shares_pid_namespace() or done.stdout.strip() == b"1"
        except (OSError, subprocess.SubprocessError):
            return False
        finally:
            if lock >= 0:
                os.close(lock)


def available(cap: str | None = None) -> Level:
    """The strongest level that works here, no stronger than ``cap``."""
    names = list(LEVELS)
    start = names.index(cap) if cap in LEVELS else 0
    for name in names[start:]:
        if works(name):
            return LEVELS[name]
    return LEVELS["process"]


def staging_dir() -> str | None:
    """Where submissions are staged: memory (/dev/shm) when the sandbox is bwrap, which writes
    nothing there (see bwrap_argv); else the system's temporary directory, where the other
    levels' scratch/ lives.  Staging is a dozen small files created and removed per submission."""
    shm = "/dev/shm"
    bwrap = available(os.environ.get("MICROGRAD_SANDBOX")).name == "bwrap"
    if bwrap and os.path.isdir(shm) and os.access(shm, os.W_OK):
        return shm
    return None


def _world_readable(path: str) -> bool:
    """Whether any uid can run ``path`` and read the standard library next to it."""
    real = Path(os.path.realpath(path))
    if not os.stat(real).st_mode & stat.S_IXOTH:
        return False
    return all(os.stat(p).st_mode & stat.S_IXOTH for p in real.parents)
