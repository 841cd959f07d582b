"""How the student's code is fenced in: sandbox levels, limits, a zygote, and killing.

One ``Isolation`` serves one staged submission (``workdir`` holding runtime/,
reference/, submission/, scratch/).  On first use it starts a *zygote*: one
sandboxed ``python -I worker.py --zygote`` that has imported the (stdlib-only)
runtime but no student code.  ``spawn`` asks it to fork a fresh worker for one
part, handing it the two pipes of that part over a Unix socket (SCM_RIGHTS);
forking costs about a millisecond where starting a sandboxed interpreter costs
30-50 ms, so a submission pays for one sandbox, not one per part.  ``kill``
removes one worker and every process it started; ``close`` removes the whole
sandbox.  If student code kills the zygote, the next ``spawn`` starts another.

Levels, strongest first; the first one that works here is used, and
``MICROGRAD_SANDBOX`` (``bwrap``, ``unshare``, ``uid``, ``process``) caps it:

``bwrap``    bubblewrap: private PID, network, IPC, UTS, mount and user
             namespaces, a read-only view of /usr, only the staged pieces bound,
             private /tmp, dies with the grader; as root also an unprivileged
             uid of its own (so RLIMIT_NPROC applies and nothing else of the
             machine can be signalled or written).
``unshare``  root without bubblewrap: ``unshare --net --pid --mount-proc`` (no
             network, a PID namespace) and an unprivileged uid (``setpriv``); the file
             system is visible with that uid's permissions.
``uid``      root without namespaces: an unprivileged uid only.
``process``  no root, no namespaces: a separate session / process group and
             the rlimits; student code runs with the grader's own uid.

Every level: ``python -I`` (no site of the user, no PYTHONPATH), a minimal
environment with no secret in it, stdin/stdout/stderr on /dev/null, rlimits
(CPU, address space, file size, open files, processes, no core files), a
child subreaper that kills every descendant of a worker, and the wall-clock
limits of ``launcher.Limits``.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import ctypes
import os
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import cgroup
from .cgroup import ControlGroup

MiB = 1 << 20
LEVELS = ("bwrap", "unshare", "uid", "process")
DESCRIPTIONS = {
    "bwrap": "bwrap: PID/network/IPC/mount namespaces, read-only system, only the staged files",
    "unshare": "unshare: PID and network namespaces",
    "uid": "separate uid",
    "process": "process: separate process group",
}
COMMON = "rlimits, python -I, minimal environment"
GROUP = "a control group: {memory} MiB, {tasks} tasks, {cpus:g} CPU in all"
# MPLBACKEND: matplotlib never looks for a display (it caches fonts in /tmp, which is the sandbox's own).
ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
       "MPLBACKEND": "Agg"}
COURSE_PACKAGES = Path(__file__).with_name("course-packages.txt")
UNSHARE = ["unshare", "--net", "--pid", "--fork", "--kill-child", "--mount-proc", "--"]  # no network, own PIDs
WRITABLE_BYTES = 64 * MiB  # each tmpfs inside the bwrap sandbox (/tmp, scratch/)
UID_BASE = 1_100_000  # sandbox uids: UID_BASE .. UID_BASE + UID_COUNT - 1 (no account needed)
UID_COUNT = 4096
SYSTEM_RO = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_RO = ("/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
          "/etc/matplotlibrc", "/etc/python3", "/etc/python3.11")


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

    workdir: Path
    limits: ResourceLimits = field(default_factory=ResourceLimits)
    wall_seconds: float = 40.0  # every probe of the submission together
    mode: str | None = None  # a level from LEVELS; None: the strongest available (capped by $MICROGRAD_SANDBOX)
    preload: frozenset[str] = frozenset()  # course modules the submission imports: imported once, by the zygote
    python: str | None = None
    level: str = ""  # what protected this run, for the result
    deadline: float = 0.0
    uid: int | None = None
    _zygote: subprocess.Popen | None = None
    _control: socket.socket | None = None
    _generation: int = 0
    _uid_lock: int = -1
    _token: str = ""
    _nproc: int = 0
    _greeted: bool = False
    _group: ControlGroup | None = None
    group_limits: cgroup.GroupLimits = field(default_factory=cgroup.GroupLimits)

    def __post_init__(self) -> None:
        self.workdir = Path(self.workdir)
        self.deadline = time.monotonic() + self.wall_seconds
        self.mode = self.mode or available_level(os.environ.get("MICROGRAD_SANDBOX"))
        self.python = self.python or sandbox_python(self.mode)
        drops_uid = os.geteuid() == 0 and self.mode != "process"
        self._token = os.urandom(8).hex()
        if self.mode == "process":
            _become_subreaper()  # orphans of the sandbox become ours, not init's
        grouped = cgroup.available() and _wrappers_work()
        group = GROUP.format(memory=self.group_limits.memory >> 20, tasks=self.group_limits.tasks,
                             cpus=self.group_limits.cpus)
        self.level = (f"{self.mode} ({DESCRIPTIONS[self.mode]}{', unprivileged uid' if drops_uid else ''}; "
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
            os.close(self._uid_lock)
            self._uid_lock = -1

    def __enter__(self) -> Isolation:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the zygote ------------------------------------------------------------
    def _launch_zygote(self) -> None:
        self._stop_zygote()
        if self._generation == 0:
            _precompile(self.workdir)
        if self.mode != "process" and os.geteuid() == 0 and self.uid is None:
            self.uid, self._uid_lock = _allocate_uid()
            _open_for(self.workdir, self.uid)
        # RLIMIT_NPROC counts every task of the real uid: with a uid of our own, the limit is the
        # sandbox's; sharing the grader's uid, it must leave room for what that uid already runs.
        self._nproc = self.limits.processes + (0 if self.uid is not None else tasks_of(os.getuid()))
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            runtime = self.workdir / "runtime"
            options = {"optional": sorted(course_packages()), "preload": sorted(self.preload)}
            inner = [self.python, "-I", str(runtime / "worker.py"), str(runtime), "--zygote", str(theirs.fileno()),
                     str(self.workdir / "reference"), json.dumps(options)]
            drops_uid = self.uid is not None and self.mode in ("bwrap", "uid")
            prefix = _exec_wrappers(self._rlimits(), self.uid if drops_uid else None)
            kwargs: dict = {}
            if prefix is None:  # no util-linux tools: the same, done in Python between fork and exec
                prefix, kwargs = [], {"preexec_fn": self._apply_limits}
                if drops_uid:
                    kwargs.update(user=self.uid, group=self.uid, extra_groups=[])
            else:  # the whole sandbox in one control group, joined (as root) before anything runs
                if self._group is None and cgroup.available():
                    self._group = ControlGroup.create(f"micrograd-{self._token}", self.group_limits)
                if self._group is not None:
                    prefix = self._group.enter_argv() + prefix
            self._zygote = subprocess.Popen(
                prefix + self._wrap(inner),
                cwd=self.workdir / "scratch",
                # HOME: the sandbox's own scratch/ (matplotlib, for one, insists on a home for its caches)
                env={**ENV, "HOME": str(self.workdir / "scratch"), "MICROGRAD_SANDBOX_TOKEN": self._token},
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

    def _wrap(self, inner: list[str]) -> list[str]:
        if self.mode == "bwrap":
            return bwrap_argv(self.workdir) + inner
        if self.mode == "unshare":
            return [*UNSHARE, *_as_uid(self.uid), *inner]
        return inner

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
        if self._group is not None:
            self._group.kill()  # exact: every process the sandbox ever started is in its group
        if self.uid is not None:
            kill_uid(self.uid)  # whatever escaped the process group, where there is no PID namespace
        elif self.mode != "bwrap":
            kill_marked(self._token)  # same uid as ours: find them by the token in their environment

    def _ask(self, message: dict | None, fds: list[int] = (), timeout: float = 5.0) -> dict:
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


# ----------------------------------------------------------------------------
# What this machine offers
# ----------------------------------------------------------------------------
_AVAILABLE: dict[str, bool] = {}


def available_level(cap: str | None = None) -> str:
    """The strongest level that works here, no stronger than ``cap``."""
    cap = cap if cap in LEVELS else LEVELS[0]
    for level in LEVELS[LEVELS.index(cap):]:
        if level_works(level):
            return level
    return "process"


def level_works(level: str) -> bool:
    if level not in _AVAILABLE:
        _AVAILABLE[level] = _try_level(level)
    return _AVAILABLE[level]


def _try_level(level: str) -> bool:
    if level == "process":
        return True
    root = os.geteuid() == 0
    if level in ("uid", "unshare") and not root:
        return False
    python = sandbox_python(level)
    if python is None:
        return False
    if level == "bwrap" and not shutil.which("bwrap"):
        return False
    if level == "unshare" and not (shutil.which("unshare") and shutil.which("setpriv")):
        return False
    with tempfile.TemporaryDirectory(prefix="micrograd-probe-") as tmp:
        workdir = Path(tmp)
        for piece in ("runtime", "reference", "submission", "scratch"):
            (workdir / piece).mkdir()
        uid, lock = (_allocate_uid() if root else (None, -1))
        try:
            if uid is not None:
                _open_for(workdir, uid)
            argv = [python, "-I", "-c", "import os; print(os.getpid())"]
            if level == "bwrap":
                argv = bwrap_argv(workdir) + argv
            elif level == "unshare":
                argv = [*UNSHARE, *_as_uid(uid), *argv]
            kwargs = {"user": uid, "group": uid, "extra_groups": []} if level in ("bwrap", "uid") and root else {}
            done = subprocess.run(argv, cwd=workdir / "scratch", env=dict(ENV), capture_output=True, timeout=20,
                                  stdin=subprocess.DEVNULL, **kwargs)
            if done.returncode != 0:
                return False
            return level == "uid" or done.stdout.strip() == b"1"  # a PID namespace of its own
        except (OSError, subprocess.SubprocessError):
            return False
        finally:
            if lock >= 0:
                os.close(lock)


def sandbox_python(level: str) -> str | None:
    """An interpreter the sandbox can run: ours if it is readable there, else the system's."""
    if level == "process":
        return sys.executable
    candidates = [os.path.realpath(sys.executable), "/usr/bin/python3"]
    for candidate in candidates:
        if not os.path.isfile(candidate) or not _world_readable(candidate):
            continue
        if level == "bwrap" and not any(candidate.startswith(d + "/") for d in SYSTEM_RO):
            continue  # not visible inside the sandbox
        return candidate
    return None


def _world_readable(path: str) -> bool:
    """Whether any uid can run ``path`` and read the standard library next to it."""
    real = Path(os.path.realpath(path))
    if not os.stat(real).st_mode & stat.S_IXOTH:
        return False
    parents = list(real.parents)
    return all(os.stat(p).st_mode & stat.S_IXOTH for p in parents)


def bwrap_argv(workdir: Path) -> list[str]:
    """bubblewrap around a worker: the system read-only, the staged pieces at their own paths."""
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
    # grow to half the machine's memory, file by file under RLIMIT_FSIZE.
    # bwrap's own root and /dev are tmpfs too, with no size: both are made read-only at the end.
    size = str(WRITABLE_BYTES)
    argv += ["--proc", "/proc", "--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm", "--remount-ro", "/dev"]
    argv += ["--size", size, "--tmpfs", "/tmp"]
    for piece in ("runtime", "reference", "submission"):
        argv += ["--ro-bind", str(workdir / piece), str(workdir / piece)]
    argv += ["--size", size, "--tmpfs", str(workdir / "scratch"), "--chdir", str(workdir / "scratch")]
    return argv + ["--remount-ro", "/"]


def staging_dir() -> str | None:
    """Where submissions are staged: memory (/dev/shm) when the sandbox is bwrap, which writes
    nothing there (see bwrap_argv); else the system's temporary directory, where the other
    levels' scratch/ lives.  Staging is a dozen small files created and removed per submission."""
    shm = "/dev/shm"
    if available_level(os.environ.get("MICROGRAD_SANDBOX")) == "bwrap" and os.path.isdir(shm) and os.access(shm, os.W_OK):
        return shm
    return None


# ----------------------------------------------------------------------------
# Sandbox uids
# ----------------------------------------------------------------------------
_TRUSTED_BYTECODE: dict[tuple[str, bytes], bytes] = {}  # (name, source) -> .pyc, for our own pieces


def _precompile(workdir: Path) -> None:
    """Byte-compile the staged modules once (compiling is not running), so that the workers,
    which cannot write a bytecode cache, do not compile them again for every part.

    The runtime and the reference are the same for every submission: they are compiled once
    per process and the bytecode reused (an unchecked-hash .pyc does not depend on the path,
    and the import system sets each code object's file name on loading)."""
    import importlib.util
    import py_compile

    for piece in ("runtime", "reference", "submission"):
        for source in (workdir / piece).glob("*.py"):
            cached = importlib.util.cache_from_source(str(source))
            key = (source.name, source.read_bytes()) if piece != "submission" else None
            if key in _TRUSTED_BYTECODE:
                Path(cached).parent.mkdir(exist_ok=True)
                Path(cached).write_bytes(_TRUSTED_BYTECODE[key])
                continue
            with contextlib.suppress(Exception):  # a syntax error: the worker reports it itself
                py_compile.compile(str(source), cfile=cached, doraise=True, quiet=2,
                                   invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
                if key is not None:
                    _TRUSTED_BYTECODE[key] = Path(cached).read_bytes()


def _allocate_uid() -> tuple[int, int]:
    """A sandbox uid no other grading on this machine is using now (a held lock file says so)."""
    run = Path("/run")  # root-only, so nobody can pre-create the folder; else the temp dir
    base = run if os.geteuid() == 0 and os.access(run, os.W_OK) else Path(tempfile.gettempdir())
    locks = base / f"micrograd-sandbox-uids-{os.geteuid()}"
    locks.mkdir(mode=0o700, exist_ok=True)
    info = locks.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise OSError(f"{locks} is not ours")
    start = os.getpid() % UID_COUNT
    for i in range(UID_COUNT):
        uid = UID_BASE + (start + i) % UID_COUNT
        fd = os.open(locks / str(uid), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        os.set_inheritable(fd, False)
        kill_uid(uid)  # leftovers of a grader that was killed itself
        return uid, fd
    raise OSError("no free sandbox uid")


def _open_for(workdir: Path, uid: int) -> None:
    """Let ``uid`` read the staged pieces and write only scratch/."""
    os.chmod(workdir, 0o711)
    for piece in ("runtime", "reference", "submission"):
        root = workdir / piece
        for path in [root, *root.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
    os.chown(workdir / "scratch", uid, uid)
    os.chmod(workdir / "scratch", 0o700)


def tasks_of(uid: int) -> int:
    """How many tasks (threads included) run with real uid ``uid`` now."""
    count = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status") as f:
                fields = dict(line.split(":", 1) for line in f if line.startswith(("Uid:", "Threads:")))
            if int(fields["Uid"].split()[0]) == uid:
                count += int(fields.get("Threads", "1"))
        except (OSError, KeyError, ValueError):
            continue
    return count


def _become_subreaper() -> None:
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def kill_marked(token: str) -> None:
    """SIGKILL every process started with ``token`` in its environment (until none is left)."""
    marker = f"MICROGRAD_SANDBOX_TOKEN={token}".encode()
    me = os.getpid()
    for _ in range(20):
        found = False
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit() or int(entry.name) == me:
                continue
            try:
                with open(f"/proc/{entry.name}/environ", "rb") as f:
                    if marker not in f.read().split(b"\0"):
                        continue
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    if f.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                        continue
            except (OSError, IndexError):
                continue
            found = True
            with contextlib.suppress(OSError):
                os.kill(int(entry.name), signal.SIGKILL)
        if not found:
            return
        time.sleep(0.01)


def kill_uid(uid: int) -> None:
    """SIGKILL every process whose real or effective uid is ``uid`` (until none is left)."""
    for _ in range(20):
        found = False
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/status") as f:
                    fields = dict(line.split(":", 1) for line in f if line.startswith(("State:", "Uid:")))
                uids = fields["Uid"].split()[:2]
            except (OSError, KeyError, ValueError):
                continue
            if str(uid) in uids and not fields.get("State", "").strip().startswith("Z"):
                found = True
                with contextlib.suppress(OSError):
                    os.kill(int(entry.name), signal.SIGKILL)
        if not found:
            return
        time.sleep(0.01)


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
    return ["prlimit", *limits, "--", *_as_uid(uid), "setarch", "-R"]  # -R: no address randomisation


@functools.cache
def _wrappers_work() -> bool:
    """Whether the wrapper chain runs here (as it will be used: as root, with a uid change)."""
    argv = _wrapper_argv({resource.RLIMIT_CORE: 0}, UID_BASE if os.geteuid() == 0 else None) + ["true"]
    try:
        return subprocess.run(argv, env=dict(ENV), capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _as_uid(uid: int | None) -> list[str]:
    """``setpriv`` to run the rest as ``uid`` (its own group, no supplementary groups); nothing for None."""
    return [] if uid is None else ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]


def _within_hard_limit(which: int, value: int) -> int:
    hard = resource.getrlimit(which)[1]
    return value if hard == resource.RLIM_INFINITY else min(value, hard)


ADDR_NO_RANDOMIZE = 0x0040000


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
