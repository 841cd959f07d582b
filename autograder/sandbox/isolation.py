"""How the student's code is fenced in: one sandbox per submission, a zygote in it, and killing.

One ``Isolation`` serves one staged submission (a ``Layout``).  On first use
it starts a *zygote*: one sandboxed ``python -I worker.py --zygote`` that has
imported the (stdlib-only) runtime, the course packages the submission uses
and the reference, but no student code.  ``spawn`` asks it to fork a fresh
worker for one part, handing it the two pipes of that part over a Unix socket
(SCM_RIGHTS); forking costs about a millisecond where starting a sandboxed
interpreter costs 30-50 ms, so a submission pays for one sandbox, not one per
part.  ``kill`` removes one worker and every process it started; ``close``
removes the whole sandbox.  If student code kills the zygote, the next
``spawn`` starts another.

What fences it in: the strongest level that works here (``levels.py``,
capped by ``$MICROGRAD_SANDBOX``); a control group for the whole sandbox
where one can be made (``cgroup.py``); on every level ``python -I``, a minimal
environment with no secret in it, stdin/stdout/stderr on /dev/null, rlimits
(CPU, address space, file size, open files, processes, no core files) and no
address randomisation, applied by util-linux exec wrappers; the zygote as
child subreaper that kills every descendant of a worker; and the wall-clock
limits of ``launcher.Limits``.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import os
import resource
import signal
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ..rubric import MODULES
from . import cgroup, levels, uids
from .cgroup import ControlGroup
from .layout import Layout
from .levels import ENV, WRITABLE_BYTES, Level, as_uid, available, bwrap_argv, staging_dir, works
from .proctable import tasks_of

__all__ = ["ENV", "LEVELS", "WRITABLE_BYTES", "Isolation", "bwrap_argv", "course_modules", "course_packages",
           "level_works", "sandbox_python", "staging_dir"]

LEVELS = tuple(levels.LEVELS)  # the level names, strongest first
COMMON = "rlimits, python -I, minimal environment"
GROUP = "a control group: {memory} MiB, {tasks} tasks, {cpus:g} CPU in all"
COURSE_PACKAGES = Path(__file__).with_name("course-packages.txt")
MiB = 1 << 20


@dataclass(frozen=True)
class ResourceLimits:
    cpu_seconds: int = 20  # per process; the wall-clock limits usually strike first
    address_space: int = 1024 * MiB
    file_size: int = 16 * MiB
    open_files: int = 64
    processes: int = 128  # per uid (threads count too): only effective with a uid of our own (not for root)


class SandboxProcess:
    """A worker forked by the zygote; ``pid`` is as the zygote sees it."""

    def __init__(self, isolation: Isolation, pid: int, generation: int):
        self.isolation = isolation
        self.pid = pid
        self.generation = generation
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self.returncode = self.isolation._wait(self, 5.0 if timeout is None else timeout)
        if self.returncode is None:
            raise subprocess.TimeoutExpired("worker", timeout or 0)
        return self.returncode

    def poll(self) -> int | None:
        try:
            return self.wait(0)
        except subprocess.TimeoutExpired:
            return None


@dataclass
class Isolation:
    """Spawns the workers of one staged submission (see the module docstring)."""

    layout: Layout
    limits: ResourceLimits = field(default_factory=ResourceLimits)
    wall_seconds: float = 40.0  # every probe of the submission together
    mode: str | None = None  # a level name; None: the strongest available (capped by $MICROGRAD_SANDBOX)
    preload: frozenset[str] = frozenset()  # course modules the submission imports: imported once, by the zygote
    group_limits: cgroup.GroupLimits = field(default_factory=cgroup.GroupLimits)
    python: str | None = None
    level: str = ""  # what protected this run, for the result
    deadline: float = 0.0
    uid: int | None = None
    _sandbox: Level = field(default_factory=Level)
    _zygote: subprocess.Popen | None = None
    _control: socket.socket | None = None
    _group: ControlGroup | None = None
    _generation: int = 0
    _uid_lock: int = -1
    _left_clean: bool = False  # the last stop found the control group empty: nothing of the sandbox is left
    _token: str = ""
    _nproc: int = 0
    _greeted: bool = False

    def __post_init__(self) -> None:
        import time

        if not isinstance(self.layout, Layout):
            self.layout = Layout(Path(self.layout))
        self.deadline = time.monotonic() + self.wall_seconds
        cap = os.environ.get("MICROGRAD_SANDBOX")
        self._sandbox = levels.LEVELS[self.mode] if self.mode in LEVELS else available(cap)
        self.mode = self._sandbox.name
        self.python = self.python or self._sandbox.python()
        self._token = os.urandom(8).hex()
        if not self._sandbox.drops_uid() and self._sandbox.shares_pid_namespace():
            _become_subreaper()  # orphans of the sandbox become ours, not init's
        grouped = cgroup.available() and _wrappers_work()
        limits = self.group_limits
        group = GROUP.format(memory=limits.memory >> 20, tasks=limits.tasks, cpus=limits.cpus)
        self.level = (f"{self.mode} ({self._sandbox.description}"
                      f"{', unprivileged uid' if self._sandbox.drops_uid() else ''}; "
                      f"{COMMON}{', ' + group if grouped else ''})")

    # -- the Worker's interface ---------------------------------------------
    def prepare(self) -> None:
        """Start the sandbox now without waiting for it: it boots while the grader gets ready."""
        if self._zygote is None:
            self._launch_zygote()

    def spawn(self, request_fd: int, answer_fd: int) -> SandboxProcess:
        """A fresh worker for one part, reading requests on ``request_fd``."""
        for attempt in range(2):
            try:
                if self._zygote is None or self._zygote.poll() is not None:
                    self._launch_zygote()
                if not self._greeted:
                    self._await_greeting()
                reply = self._ask({"op": "fork"}, fds=[request_fd, answer_fd])
                return SandboxProcess(self, int(reply["pid"]), self._generation)
            except (OSError, ValueError, KeyError, TypeError):
                self._stop_zygote()  # killed by student code: start another
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def kill(self, process: SandboxProcess) -> None:
        """Kill one worker and every process it started."""
        if process.generation != self._generation or self._control is None:
            return  # its zygote is gone, and its whole sandbox with it
        try:
            reply = self._ask({"op": "kill", "pid": process.pid}, timeout=5.0)
            if process.returncode is None and isinstance(reply.get("status"), int):
                process.returncode = reply["status"]
        except (OSError, ValueError, TypeError):
            self._stop_zygote()

    def close(self) -> None:
        """Remove the sandbox and every process in it."""
        self._stop_zygote()
        if self._group is not None:
            self._group.remove()
            self._group = None
        if self._uid_lock >= 0:
            uids.release(self._uid_lock, clean=self._left_clean)
            self._uid_lock = -1

    def __enter__(self) -> Isolation:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the zygote ------------------------------------------------------------
    def _launch_zygote(self) -> None:
        self._stop_zygote()
        if self._generation == 0:
            _precompile(self.layout)
        if self._sandbox.drops_uid() and self.uid is None:
            self.uid, self._uid_lock = uids.allocate()
            uids.open_for(self.layout, self.uid)
        # RLIMIT_NPROC counts every task of the real uid: with a uid of our own, the limit is the
        # sandbox's; sharing the grader's uid, it must leave room for what that uid already runs.
        self._nproc = self.limits.processes + (0 if self.uid is not None else tasks_of(os.getuid()))
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            options = {"modules": list(MODULES), "optional": sorted(course_packages()), "preload": sorted(self.preload)}
            # Fixed-width: the student's process starts from the same bytes whichever grader (a batch's,
            # a cluster worker's with more files open) launched it, so that code whose behaviour follows
            # memory addresses (a set of Values iterated) gets the same result everywhere.
            inner = [str(self.python), "-I", str(self.layout.worker), str(self.layout.runtime), "--zygote",
                     f"{theirs.fileno():05d}", str(self.layout.reference), json.dumps(options)]
            wrapper_uid = self.uid if self._sandbox.uid_by_wrapper() else None
            prefix = _exec_wrappers(self._rlimits(), wrapper_uid)
            kwargs: dict = {}
            if prefix is None:  # no util-linux tools: the same, done in Python between fork and exec
                prefix, kwargs = [], {"preexec_fn": self._apply_limits}
                if wrapper_uid is not None:
                    kwargs.update(user=wrapper_uid, group=wrapper_uid, extra_groups=[])
            else:  # the whole sandbox in one control group, joined (as root) before anything runs
                if self._group is None and cgroup.available():
                    self._group = ControlGroup.create(f"micrograd-{self._token}", self.group_limits)
                if self._group is not None:
                    prefix = self._group.enter_argv() + prefix
            self._zygote = subprocess.Popen(
                prefix + self._sandbox.wrap(inner, self.layout, self.uid),
                cwd=self.layout.scratch,
                # HOME: the sandbox's own scratch/ (matplotlib, for one, insists on a home for its caches)
                env={**ENV, "HOME": str(self.layout.scratch), "MICROGRAD_SANDBOX_TOKEN": self._token},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                start_new_session=True,  # its own process group: killed as a whole
                **kwargs,
            )
        finally:
            theirs.close()
        self._control = ours
        self._generation += 1
        self._greeted = False

    def _await_greeting(self) -> None:
        hello = self._ask(None, timeout=10.0)
        if not hello.get("ready"):
            raise OSError("the sandbox did not start")
        self._greeted = True

    def _rlimits(self) -> dict[int, int]:
        limits = self.limits
        wanted = {
            resource.RLIMIT_CPU: limits.cpu_seconds,
            resource.RLIMIT_AS: limits.address_space,
            resource.RLIMIT_FSIZE: limits.file_size,
            resource.RLIMIT_NOFILE: limits.open_files,
            resource.RLIMIT_NPROC: self._nproc,
            resource.RLIMIT_CORE: 0,
        }
        return {which: _within_hard_limit(which, value) for which, value in wanted.items()}

    def _apply_limits(self) -> None:
        # No address-space randomisation: a student's set of Values iterates in
        # memory-address order, so with it a buggy backward() could score
        # differently on each run; without it the same code gets the same result.
        _disable_aslr()
        for which, value in self._rlimits().items():
            resource.setrlimit(which, (value, value))

    def _stop_zygote(self) -> None:
        if self._control is not None:
            with contextlib.suppress(OSError, ValueError, TypeError):
                self._control.send(json.dumps({"op": "exit"}).encode())  # it kills its workers' descendants
                self._control.settimeout(2.0)
                self._control.recv(16)  # EOF once it is gone
            self._control.close()
            self._control = None
        if self._zygote is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._zygote.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._zygote.wait(timeout=5)
            self._zygote = None
        self._left_clean = False
        if self._group is not None:
            self._group.kill()  # exact: every process the sandbox ever started is in its group
            # ... and, run as a uid of its own, none can leave it (moving needs root): an empty group is then
            # the proof that nothing is left, and /proc need not be scanned for the uid
            self._left_clean = self.uid is not None and not self._group.pids()
        if not self._left_clean:
            self._sandbox.clean_up(self.uid, self._token)

    def _ask(self, message: dict | None, fds: list[int] | tuple[int, ...] = (), timeout: float = 5.0) -> dict:
        control = self._control
        if control is None:
            raise OSError("no sandbox")
        if message is not None:
            socket.send_fds(control, [json.dumps(message).encode()], list(fds))
        control.settimeout(timeout)
        data = control.recv(1 << 16)
        if not data:
            raise OSError("the sandbox is gone")
        reply = json.loads(data)
        if not isinstance(reply, dict):
            raise ValueError("malformed reply")
        return reply

    def _wait(self, process: SandboxProcess, timeout: float) -> int | None:
        if process.generation != self._generation or self._control is None:
            return -signal.SIGKILL
        try:
            reply = self._ask({"op": "wait", "pid": process.pid, "timeout": timeout}, timeout=timeout + 5.0)
        except (OSError, ValueError, TypeError):
            self._stop_zygote()
            return -signal.SIGKILL
        status = reply.get("status")
        return status if isinstance(status, int) else None


# ----------------------------------------------------------------------------
# The course environment, and what this machine offers
# ----------------------------------------------------------------------------
@functools.cache
def course_packages() -> dict[str, str]:
    """Import name -> Debian package, for every package of the course environment (course-packages.txt)."""
    packages = {}
    for line in COURSE_PACKAGES.read_text().splitlines():
        fields = line.split("#", 1)[0].split()
        if fields:
            packages[fields[0]] = fields[1] if len(fields) > 1 else ""
    return packages


def course_modules(imports: set[str]) -> frozenset[str]:
    """The imported modules that belong to a course package (what a zygote may preload)."""
    return frozenset(name for name in imports if name.split(".")[0] in course_packages())


def level_works(level: str) -> bool:
    return works(level)


def available_level(cap: str | None = None) -> str:
    """The name of the strongest level that works here, no stronger than ``cap``."""
    return available(cap).name


def sandbox_python(level: str) -> str | None:
    return levels.LEVELS[level].python()


# ----------------------------------------------------------------------------
# Bytecode, limits and exec wrappers
# ----------------------------------------------------------------------------
_TRUSTED_BYTECODE: dict[tuple[str, bytes], bytes] = {}  # (name, source) -> .pyc, for our own pieces


def _precompile(layout: Layout) -> None:
    """Byte-compile the staged modules once (compiling is not running), so that the workers,
    which cannot write a bytecode cache, do not compile them again for every part.

    The runtime and the reference are the same for every submission: they are compiled once
    per process and the bytecode reused (an unchecked-hash .pyc does not depend on the path,
    and the import system sets each code object's file name on loading)."""
    import importlib.util
    import py_compile

    for piece in layout.read_only():
        for source in piece.glob("*.py"):
            cached = importlib.util.cache_from_source(str(source))
            key = (source.name, source.read_bytes()) if piece != layout.submission else None
            if key is not None and key in _TRUSTED_BYTECODE:
                Path(cached).parent.mkdir(exist_ok=True)
                Path(cached).write_bytes(_TRUSTED_BYTECODE[key])
                continue
            with contextlib.suppress(Exception):  # a syntax error: the worker reports it itself
                py_compile.compile(str(source), cfile=cached, doraise=True, quiet=2,
                                   invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
                if key is not None:
                    _TRUSTED_BYTECODE[key] = Path(cached).read_bytes()


def _become_subreaper() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


PRLIMIT_OPTIONS = {resource.RLIMIT_CPU: "--cpu", resource.RLIMIT_AS: "--as", resource.RLIMIT_FSIZE: "--fsize",
                   resource.RLIMIT_NOFILE: "--nofile", resource.RLIMIT_NPROC: "--nproc", resource.RLIMIT_CORE: "--core"}


def _exec_wrappers(rlimits: dict[int, int], uid: int | None) -> list[str] | None:
    """The rlimits, no address randomisation and the uid, as util-linux commands that exec the next.

    Then the sandbox starts with vfork: a preexec function makes Python fork the
    whole grader (PyTorch loaded), about 8 ms of kernel time per submission.
    Limits first, as root: an unprivileged uid could not set them all.  None
    when a tool is missing or does not work here (the caller falls back to the
    preexec function).
    """
    return _wrapper_argv(rlimits, uid) if _wrappers_work() else None


def _wrapper_argv(rlimits: dict[int, int], uid: int | None) -> list[str]:
    limits = (f"{PRLIMIT_OPTIONS[which]}={value}:{value}" for which, value in rlimits.items())
    return ["prlimit", *limits, "--", *as_uid(uid), "setarch", "-R"]  # -R: no address randomisation


@functools.cache
def _wrappers_work() -> bool:
    """Whether the wrapper chain runs here (as it will be used: as root, with a uid change)."""
    argv = _wrapper_argv({resource.RLIMIT_CORE: 0}, uids.UID_BASE if os.geteuid() == 0 else None) + ["true"]
    try:
        return subprocess.run(argv, env=dict(ENV), capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _within_hard_limit(which: int, value: int) -> int:
    hard = resource.getrlimit(which)[1]
    return value if hard == resource.RLIM_INFINITY else min(value, hard)


ADDR_NO_RANDOMIZE = 0x0040000


_LIBC: ctypes.CDLL | None
try:  # loaded now: nothing may be imported between fork and exec
    _LIBC = ctypes.CDLL(None, use_errno=True)
except OSError:
    _LIBC = None


def _disable_aslr() -> None:
    """personality(ADDR_NO_RANDOMIZE) for this process and what it execs (Linux only)."""
    personality = getattr(_LIBC, "personality", None)
    if personality is not None:
        current = personality(0xFFFFFFFF)
        if current != -1:
            personality(current | ADDR_NO_RANDOMIZE)
