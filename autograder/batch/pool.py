"""Grade many submissions on this machine: ``jobs`` graders forked from a warm parent.

The parent imports the grader, pytest, the checks (and whatever they import, e.g. torch) once,
grades the reference once to warm every lazy import, freezes its heap, and then forks ``jobs``
grading processes that share every imported page.  Each runs one pytest session (the checks
collected once) and grades up to ``Pool.RECYCLE`` submissions in it, then is replaced by a fresh
copy of the warm parent (forking per submission costs a third more CPU: copy-on-write faults and
tearing down the copy).  Student code never runs in these processes: each submission gets its
own sandbox (see sandbox/).
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import select
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

from micrograd_feedback.result import SubmissionResult

from ..rubric import Rubric
from .store import ERROR, STAMP, load_result, record, write_atomic

SUBMISSION_TIMEOUT = 300.0  # seconds; far above the sandbox's own per-submission budget


def warm_up(rubric: Rubric) -> None:
    """Import and initialise everything a grading needs, once, before forking."""
    import importlib

    from ..grading import grade as grading
    from ..grading.secret import grader_secret
    from ..sandbox.isolation import available_level

    for part in rubric.parts.values():
        for check in part.checks:
            importlib.import_module(f"autograder.checks.{check}")
    available_level(os.environ.get("MICROGRAD_SANDBOX"))  # probe the sandbox levels once, not per child
    grader_secret()
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)  # no OpenMP pool in the parent: forking after one can hang the child
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        with contextlib.suppress(Exception):
            grading.grade(grading.REFERENCE_DIR, rubric=rubric)  # every lazy import and cache, in the parent
    gc.collect()
    gc.freeze()  # the children's collections skip the parent's objects (and copy fewer pages)


@contextlib.contextmanager
def progress(out: Path, stamps: dict[str, dict[str, str]], failures: dict[str, str], total: int,
             done: int) -> Iterator[Callable[[Path, str | None], None]]:
    """A progress bar, and ``finished(submission, why)``: stamps a graded submission, records a failure."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
               TextColumn("{task.fields[rate]}"), TextColumn("ETA"), TimeRemainingColumn(), TimeElapsedColumn()]
    started = time.monotonic()
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task("grading", total=total, completed=done, rate="")

        def finished(submission: Path, why: str | None) -> None:
            if not why:  # what it was graded from (computed before grading: a file changed since is regraded)
                write_atomic(out / submission.name / STAMP, json.dumps(stamps[submission.name]) + "\n")
            else:
                failures[submission.name] = why
                if not (out / submission.name / ERROR).is_file():  # keep a grader's own traceback
                    write_atomic(out / submission.name / ERROR, why + "\n")
            count = bar.tasks[0].completed + 1 - done
            bar.update(task, advance=1, rate=f"{count / max(time.monotonic() - started, 1e-9):.1f}/s")

        yield finished


def run_pool(todo: list[Path], out: Path, jobs: int, rubric: Rubric, stamps: dict[str, dict[str, str]],
             total: int, done: int) -> dict[str, str]:
    """Grade ``todo`` in ``jobs`` forked graders; returns name -> why the grader failed."""
    failures: dict[str, str] = {}
    with progress(out, stamps, failures, total, done) as finished:
        previous = signal.signal(signal.SIGTERM, _terminate)  # a killed batch kills its graders
        pool = Pool(todo, out, jobs, rubric)
        try:
            pool.run(finished)
        finally:
            signal.signal(signal.SIGTERM, previous)
            pool.kill()
    return failures


class Grader:
    """One forked grading process: reads submission indices, grades each, answers one line each."""

    def __init__(self, pid: int, tasks: int, answers: int):
        self.pid, self.tasks, self.answers = pid, tasks, answers
        self.current: int | None = None
        self.since = 0.0
        self.graded = 0
        self.buffer = b""


class Pool:
    """``jobs`` graders forked from the warm parent, each grading up to ``RECYCLE`` submissions.

    A grader that dies (or is killed after ``SUBMISSION_TIMEOUT``) costs only the submission
    it was grading: that one is reported and a fresh grader takes its place.
    """

    RECYCLE = 100  # a fresh copy of the parent now and then: nothing accumulates (memory stays flat;
    # each fork costs a pytest collection and copy-on-write faults, so not too often)

    def __init__(self, todo: list[Path], out: Path, jobs: int, rubric: Rubric):
        self.todo, self.out, self.jobs, self.rubric = todo, out, jobs, rubric
        self.queue = list(range(len(todo)))
        self.graders: dict[int, Grader] = {}

    def run(self, finished) -> None:
        while self.queue or any(g.current is not None for g in self.graders.values()):
            self._assign()
            busy = {g.answers: g for g in self.graders.values() if g.current is not None}
            readable, _, _ = select.select(list(busy), [], [], 0.05)
            for fd in readable:
                self._read(busy[fd], finished)
            self._reap(finished)
            now = time.monotonic()
            for grader in self.graders.values():
                if grader.current is not None and now - grader.since > SUBMISSION_TIMEOUT:
                    with contextlib.suppress(OSError):
                        os.kill(grader.pid, signal.SIGKILL)
        for grader in list(self.graders.values()):
            self._retire(grader)
        self._reap(finished, block=True)

    def kill(self) -> None:
        for grader in self.graders.values():
            with contextlib.suppress(OSError):
                os.kill(grader.pid, signal.SIGKILL)
            self._close(grader)
        self.graders.clear()
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass

    def _assign(self) -> None:
        idle = [g for g in self.graders.values() if g.current is None and g.tasks >= 0]
        while self.queue and (idle or len(self.graders) < self.jobs):
            grader = idle.pop() if idle else self._fork()
            index = self.queue.pop(0)
            grader.current, grader.since = index, time.monotonic()
            try:
                os.write(grader.tasks, f"{index}\n".encode())
            except OSError:  # it died meanwhile: _reap reports the submission
                pass
        if not self.queue:
            for grader in idle:
                self._retire(grader)

    def _read(self, grader: Grader, finished) -> None:
        try:
            data = os.read(grader.answers, 4096)
        except OSError:
            data = b""
        if not data:
            return  # it died: _reap reports it
        grader.buffer += data
        while b"\n" in grader.buffer and grader.current is not None:
            _, grader.buffer = grader.buffer.split(b"\n", 1)
            submission = self.todo[grader.current]
            grader.current = None
            grader.graded += 1
            finished(submission, _failure(self.out / submission.name, 0))
            if grader.graded >= self.RECYCLE:
                self._retire(grader)

    def _reap(self, finished, block: bool = False) -> None:
        while self.graders:
            try:
                pid, status = os.waitpid(-1, 0 if block else os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            grader = self.graders.pop(pid, None)
            if grader is None:
                continue
            if grader.current is not None:
                self._read(grader, finished)  # an answer it wrote just before exiting
            if grader.current is not None:
                submission = self.todo[grader.current]
                finished(submission, _failure(self.out / submission.name, status) or "the grader died")
            self._close(grader)

    def _retire(self, grader: Grader) -> None:
        if grader.tasks >= 0:
            os.close(grader.tasks)  # EOF: it exits
            grader.tasks = -1

    def _close(self, grader: Grader) -> None:
        self._retire(grader)
        if grader.answers >= 0:
            os.close(grader.answers)
            grader.answers = -1

    def _fork(self) -> Grader:
        task_read, task_write = os.pipe()
        answer_read, answer_write = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid:
            os.close(task_read)
            os.close(answer_write)
            grader = self.graders[pid] = Grader(pid, task_write, answer_read)
            return grader
        try:
            os.close(task_write)
            os.close(answer_read)
            for other in self.graders.values():  # the other graders' pipes are not ours
                for fd in (other.tasks, other.answers):
                    with contextlib.suppress(OSError):
                        os.close(fd)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # ^C stops the parent, which kills us
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            _serve(self.todo, self.out, self.rubric, task_read, answer_write)
        finally:
            os._exit(0)


def _serve(todo: list[Path], out: Path, rubric: Rubric, tasks: int, answers: int) -> None:
    """Grade the submissions the parent sends, in one pytest session; answer a line after each."""
    from ..grading.grade import grade_each

    def assigned() -> Iterator[Path]:
        buffer = b""
        while True:
            while b"\n" not in buffer:
                data = os.read(tasks, 64)
                if not data:
                    return
                buffer += data
            line, buffer = buffer.split(b"\n", 1)
            yield todo[int(line)]

    def done(submission: Path, result: SubmissionResult | None, error: Exception | None) -> None:
        try:
            if error is not None:
                raise error
            assert result is not None
            record(submission, out / submission.name, result)
        except BaseException as failure:  # noqa: BLE001 - report it; the batch carries on
            with contextlib.suppress(BaseException):
                write_atomic(out / submission.name / ERROR, "".join(traceback.format_exception(failure, limit=8)))
        os.write(answers, b"done\n")

    grade_each(assigned(), done, rubric=rubric)


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def _failure(folder: Path, status: int) -> str | None:
    code = os.waitstatus_to_exitcode(status)
    if code == 0 and load_result(folder) is not None:
        return None
    if (folder / ERROR).is_file():
        text = (folder / ERROR).read_text(errors="replace").strip().splitlines()
        return text[-1][:300] if text else "unknown error"
    if code < 0:
        return f"the grading process was killed by signal {-code}"
    return f"the grading process exited with status {code}"
