"""The worker: runs INSIDE the sandbox, next to the student's code.

Two ways to start it:

``python -I worker.py RUNTIME_DIR REQUEST_FD ANSWER_FD``
    one worker: requests arrive on one pipe, answers leave on the other
    (length-prefixed JSON).
``python -I worker.py RUNTIME_DIR --zygote CONTROL_FD [REFERENCE_DIR [OPTIONS_JSON]]``
    a zygote: imports the runtime, the course packages the submission uses
    (``course.py``; OPTIONS_JSON names them) and the reference package once, then, for every ``fork`` request on the
    control socket (a Unix SOCK_SEQPACKET carrying the part's two pipe ends by
    SCM_RIGHTS), forks a worker that serves that part as above.  It is the
    workers' child subreaper: ``kill`` removes a worker with every process it
    started, including double-forked ones that left its process group.  No
    student code ever runs in the zygote itself.

stdout and stderr go nowhere the grader reads, so whatever the student prints
cannot pose as an answer.  Only the standard library is used: the sandbox
interpreter may have nothing else.

Nothing here is trusted by the grader.  The worker loads the submission,
runs probes (``probes.py``) on the trusted side's inputs and sends back plain
observations: numbers, booleans, short strings.  The grader validates their
types and compares them with its own oracles; expected values never come here.
"""

import json
import os
import signal
import struct
import sys
import time

_write = os.write  # bound now, before any student code can rebind os.write (or json)
_read = os.read
_exit = os._exit
_dumps = json.dumps
_loads = json.loads


def read_message(fd):
    header = _read_exactly(fd, 4)
    if header is None:
        return None
    (length,) = struct.unpack(">I", header)
    return _loads(_read_exactly(fd, length).decode())


def write_message(fd, message):
    data = _dumps(message, allow_nan=True).encode()
    data = struct.pack(">I", len(data)) + data
    while data:
        data = data[_write(fd, data) :]


def _read_exactly(fd, n):
    chunks = []
    while n:
        chunk = _read(fd, n)
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def serve(requests_fd, answers_fd):
    """Load the part's modules as the first request says, then answer probes until EOF."""
    import probes

    setup = read_message(requests_fd)
    if setup is None:
        return
    try:
        state = probes.load(setup)
        write_message(answers_fd, {"ok": True})
    except BaseException as error:  # noqa: BLE001 - everything the student raises is an observation
        write_message(answers_fd, {"ok": False, "error": probes.describe_error(error, setup)})
        return
    while True:
        request = read_message(requests_fd)
        if request is None:
            return
        try:
            answer = {"ok": True, "observation": probes.run(state, request)}
        except BaseException as error:  # noqa: BLE001
            answer = {"ok": False, "error": probes.describe_error(error, setup)}
        write_message(answers_fd, answer)


# ----------------------------------------------------------------------------
# The zygote
# ----------------------------------------------------------------------------
def _children_map():
    """pid -> parent pid, for every live (not zombie) process this /proc shows."""
    parents = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            if fields[0] != b"Z":
                parents[int(name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    return parents


def _descendants(roots, parents):
    found, frontier = set(), {pid for pid in roots if pid in parents}
    while frontier:
        found |= frontier
        frontier = {pid for pid, parent in parents.items() if parent in frontier and pid not in found}
    return found


def _kill_all(pids):
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


class Zygote:
    def __init__(self, control):
        self.control = control
        self.me = os.getpid()
        self.workers = {}  # pid -> exit code (Popen convention) or None while running

    def reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.workers:
                self.workers[pid] = os.waitstatus_to_exitcode(status)

    def kill(self, roots):
        """SIGKILL ``roots``, their descendants and every orphan we adopted, until none is left."""
        _kill_all(roots)  # by pid first: right even where /proc shows another PID namespace
        for pid in roots:  # our own workers, SIGKILLed: waiting for them is short, polling is not
            if pid in self.workers and self.workers[pid] is None:
                try:
                    _, status = os.waitpid(pid, 0)
                    self.workers[pid] = os.waitstatus_to_exitcode(status)
                except ChildProcessError:
                    pass
        for _ in range(100):
            parents = _children_map()
            orphans = {pid for pid, parent in parents.items() if parent == self.me and pid not in self.workers}
            doomed = _descendants(set(roots) | orphans, parents)
            doomed.discard(self.me)
            if not doomed:
                break
            _kill_all(doomed)
            time.sleep(0.001)
            self.reap()
        self.reap()

    def handle(self, request, fds):
        op = request.get("op")
        if op == "fork":
            pid = os.fork()
            if pid == 0:
                try:
                    self.control.close()
                    os.setsid()
                    serve(fds[0], fds[1])
                except BaseException:  # noqa: BLE001 - a worker never returns into the zygote
                    pass
                _exit(0)
            for fd in fds:
                os.close(fd)
            self.workers[pid] = None
            return {"pid": pid}
        for fd in fds:
            os.close(fd)
        if op == "kill":
            pid = int(request["pid"])
            self.kill([pid] if pid in self.workers else [])
            return {"status": self.workers.get(pid)}
        if op == "wait":
            pid = int(request["pid"])
            deadline = time.monotonic() + float(request.get("timeout", 0))
            while True:
                self.reap()
                if self.workers.get(pid) is not None or pid not in self.workers or time.monotonic() >= deadline:
                    return {"status": self.workers.get(pid)}
                time.sleep(0.005)
        return {"error": "unknown op"}

    def run(self):
        import socket

        self.control.send(json.dumps({"ready": True}).encode())
        while True:
            try:
                message, fds, _, _ = socket.recv_fds(self.control, 1 << 16, 4)
            except OSError:
                break
            if not message:
                break
            try:
                request = json.loads(message)
            except ValueError:
                break
            if request.get("op") == "exit":
                break
            self.control.send(json.dumps(self.handle(request, fds)).encode())
        self.kill([pid for pid, code in self.workers.items() if code is None])


PRELOAD = ("math", "random", "itertools", "functools", "collections", "typing", "dataclasses", "numbers")


def zygote(control_fd, reference_dir=None, options=None):
    import socket

    import course
    import probes

    options = options or {}
    course.install(options.get("optional", ()), options.get("preload", ()))

    for name in PRELOAD:  # what the reference and most submissions import: once, not per part
        try:
            __import__(name)
        except ImportError:
            pass
    if reference_dir:  # the grader's own code, the same for every part: imported once, inherited
        try:
            probes.load_reference({m: os.path.join(reference_dir, m + ".py") for m in options.get("modules", ())})
        except BaseException:  # noqa: BLE001 - then each worker imports it and reports the problem
            for name in [n for n in sys.modules if n.split(".")[0] == probes.REFERENCE]:
                del sys.modules[name]

    if os.getpid() != 1:  # as a PID namespace's init, orphans come to us anyway
        import ctypes

        try:  # PR_SET_CHILD_SUBREAPER: orphans of our workers become our children, so we can kill them
            ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    import gc

    gc.collect()
    gc.freeze()  # the workers' collections skip what they inherit: fewer copy-on-write page copies
    control = socket.socket(fileno=control_fd)
    Zygote(control).run()
    _exit(0)


def main():
    runtime = sys.argv[1]
    sys.path.insert(0, runtime)
    sys.setrecursionlimit(10_000)
    if sys.argv[2] == "--zygote":
        zygote(int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None,
               _loads(sys.argv[5]) if len(sys.argv) > 5 else None)
    else:
        serve(int(sys.argv[2]), int(sys.argv[3]))


if __name__ == "__main__":
    main()
