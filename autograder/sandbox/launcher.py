"""The trusted side of the worker protocol: start a worker, ask it probes, read
capped answers within a deadline, and kill its whole process group afterwards.

A ``Worker`` serves one graded part.  If the student's code hangs, exits or
crashes the worker, the probe gets a ``WorkerError`` and the next probe of the
part starts a fresh worker: a crash costs only what it touched.
"""

from __future__ import annotations

import json
import math
import os
import select
import signal
import struct
import subprocess
import time
from dataclasses import dataclass, field

from ..rubric import MODULES
from .isolation import Isolation, SandboxProcess

MAX_ANSWER_BYTES = 1 << 20  # an answer is a few KB; anything bigger is hostile
STUDENT_FILES = tuple(f"{m}.py" for m in MODULES)
MAX_LINE = 1_000_000  # a 1 MiB source has fewer lines
MAX_STRING = 200  # any string in an observation (type names, ...)


@dataclass(frozen=True)
class Limits:
    """Wall-clock limits, in seconds, enforced from outside the worker."""

    start: float = 10.0  # interpreter start + importing the student's modules
    probe: float = 5.0  # one probe
    part: float = 15.0  # all probes of one part together
    timeouts: int = 2  # after this many probes hung, the part's other probes are not run


# An answer the trusted side cannot take as one (not JSON, nested without end, not the expected shape):
# only the student's code, which shares the worker's process, can have written it.
MALFORMED_MESSAGE = ("the process running your code sent back an answer the grader cannot read (does your code "
                     "write to file descriptors it did not open, or replace the grader's functions?)")
MAX_CALLED = 40  # members of Value a probe may report as called before a raise
MALFORMED = {"type": "MalformedAnswer", "where": None, "message": MALFORMED_MESSAGE}


class WorkerError(Exception):
    """The worker could not answer: the student's code raised, hung, or killed it."""

    def __init__(self, status: str, error: dict):
        super().__init__(error.get("message", status))
        self.status = status  # "error" | "timeout" | "crashed"
        self.error = error  # {"type", "message", "where", maybe "called"}: already capped by validation


@dataclass
class Worker:
    """One worker process for one part of one staged submission."""

    isolation: Isolation
    setup: dict
    limits: Limits = field(default_factory=Limits)
    process: SandboxProcess | None = None
    _requests: int = -1
    _answers: int = -1
    _part_deadline: float = math.inf
    _timeouts: int = 0

    def start(self) -> None:
        if time.monotonic() > self._submission_deadline():
            raise WorkerError("timeout", {"type": "Timeout", "message": "the submission used up its total time budget"})
        if self._part_deadline == math.inf:
            self._part_deadline = time.monotonic() + self.limits.part
        request_read, self._requests = os.pipe()
        self._answers, answer_write = os.pipe()
        try:
            self.process = self.isolation.spawn(request_read, answer_write)
        except OSError as error:
            why = f"the sandbox did not start ({type(error).__name__})"
            raise WorkerError("crashed", {"type": "SandboxError", "message": why, "where": None}) from None
        finally:
            os.close(request_read)
            os.close(answer_write)
        try:
            self._send(self.setup)
            answer = self._receive(self.limits.start)
        except WorkerError:
            self.close()
            raise
        if not isinstance(answer, dict) or not answer.get("ok"):
            self.close()
            raise WorkerError("error", _validated_error(answer.get("error") if isinstance(answer, dict) else None))

    def call(self, probe: str, **args) -> dict:
        """Run one probe; return its observation or raise ``WorkerError``."""
        if time.monotonic() > self._part_deadline:
            raise WorkerError("timeout", {"type": "Timeout", "message": "this part used up its time budget"})
        if self._timeouts >= self.limits.timeouts:
            raise WorkerError("timeout", {"type": "Timeout",
                                          "message": "not run: earlier probes of this part did not finish in time"})
        if time.monotonic() > self._submission_deadline():
            raise WorkerError("timeout", {"type": "Timeout", "message": "the submission used up its total time budget"})
        if self.process is None:
            self.start()
        try:
            self._send({"probe": probe, "args": args})
            answer = self._receive(self.limits.probe)
        except WorkerError as error:
            self.close()  # a fresh worker for the next probe
            self._timeouts += error.status == "timeout"
            raise
        if not isinstance(answer, dict) or answer.get("ok") and not isinstance(answer.get("observation"), dict):
            self.close()
            raise WorkerError("crashed", dict(MALFORMED))
        if not answer.get("ok"):
            raise WorkerError("error", _validated_error(answer.get("error")))
        observation = answer["observation"]
        clean = _sanitised(observation)
        assert isinstance(clean, dict)
        return clean

    def close(self) -> None:
        """Kill the worker and everything it started (its whole process group)."""
        for fd in (self._requests, self._answers):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._requests = self._answers = -1
        if self.process is not None:
            self.isolation.kill(self.process)
            self.process = None

    # -- framing -------------------------------------------------------------
    def _send(self, message: dict) -> None:
        data = json.dumps(message).encode()
        data = struct.pack(">I", len(data)) + data
        try:
            while data:
                _, writable, _ = select.select([], [self._requests], [], self.limits.probe)
                if not writable:
                    raise WorkerError("timeout", {"type": "Timeout", "message": "the worker stopped reading"})
                data = data[os.write(self._requests, data) :]
        except (BrokenPipeError, OSError) as error:
            if isinstance(error, WorkerError):
                raise
            raise WorkerError("crashed", _exit_error(self.process)) from None

    def _submission_deadline(self) -> float:
        return getattr(self.isolation, "deadline", math.inf) or math.inf

    def _receive(self, timeout: float) -> dict:
        deadline = min(time.monotonic() + timeout, self._part_deadline + self.limits.probe,
                       self._submission_deadline() + self.limits.probe)
        header = self._read(4, deadline)
        (length,) = struct.unpack(">I", header)
        if length > MAX_ANSWER_BYTES:
            raise WorkerError("crashed", dict(MALFORMED, message=MALFORMED_MESSAGE + " (larger than 1 MiB)"))
        try:
            return json.loads(self._read(length, deadline))
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested without end
            raise WorkerError("crashed", dict(MALFORMED)) from None

    def _read(self, n: int, deadline: float) -> bytes:
        chunks, remaining = [], n
        while remaining:
            left = deadline - time.monotonic()
            readable, _, _ = select.select([self._answers], [], [], max(0.0, left))
            if not readable:
                self.close()
                raise WorkerError("timeout", {"type": "Timeout", "message": "no answer in time (an infinite loop?)"})
            chunk = os.read(self._answers, min(remaining, 1 << 16))
            if not chunk:
                raise WorkerError("crashed", _exit_error(self.process))
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)


def _exit_error(process: SandboxProcess | None) -> dict:
    code = None
    if process is not None:
        try:
            code = process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            code = None
    if code is not None and code < 0:
        try:
            how = f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            how = f"was killed by signal {-code}"
        if -code in (signal.SIGXCPU, signal.SIGKILL):
            how += " (a CPU or memory limit?)"
    elif code is not None:
        how = f"exited with status {code} (sys.exit or os._exit in your code?)"
    else:
        how = "stopped answering"
    return {"type": "WorkerExited", "message": f"the process running your code {how}", "where": None}


def _validated_error(error: object) -> dict:
    """Keep only the expected fields, short and plain: the worker is untrusted.

    ``type`` is an identifier (40 characters), ``message`` printable text (200
    characters), ``where`` one of the student's own files and a plausible line
    number; anything else is dropped, so an error cannot carry more than a
    short excerpt out of the sandbox.
    """
    if not isinstance(error, dict):
        return {"type": "Error", "message": "", "where": None}
    where = error.get("where")
    if (
        isinstance(where, dict)
        and where.get("file") in STUDENT_FILES
        and type(where.get("line")) is int
        and 0 < where["line"] <= MAX_LINE
    ):
        where = {"file": where["file"], "line": where["line"]}
    else:
        where = None
    kind = _clean(error.get("type"), 40)
    kind = kind if kind.replace("_", "").replace(".", "").isalnum() else "Error"
    validated: dict[str, object] = {"type": kind, "message": _clean(error.get("message"), 200), "where": where}
    called = error.get("called")
    if isinstance(called, list):  # the members run before the raise: identifiers, a few
        validated["called"] = [m for m in called[:MAX_CALLED] if isinstance(m, str) and m.isidentifier()
                               and len(m) <= 40]
    return validated


def _sanitised(value: object, depth: int = 0) -> object:
    """An observation with every string printable and capped (a class name may hold escape
    sequences for the instructor's terminal); structure and numbers are the checks' to judge."""
    if isinstance(value, str):
        return value if len(value) <= MAX_STRING and value.isprintable() else _clean(value, MAX_STRING)
    if depth > 20:
        return None
    if isinstance(value, dict):
        return {_sanitised(k, depth + 1): _sanitised(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_sanitised(v, depth + 1) for v in value]
    return value


def _clean(text: object, cap: int) -> str:
    if not isinstance(text, str):
        return ""
    text = "".join(ch if ch.isprintable() else " " for ch in text[: cap + 1])
    return text[:cap] + ("..." if len(text) > cap else "")
