"""Grade a whole class: ``python -m autograder grade-batch DIR --out OUTDIR [--jobs N] [--force]``.

Every subdirectory of DIR is one submission.  For each, OUTDIR/<name>/ gets
``result.json`` (the contract's JSON), ``feedback.md`` (with a picture of
the expression graph for a wrong gradient) and the same as a self-contained page,
``feedback.html``; OUTDIR gets ``gradebook.csv`` and
``summary.md`` (per-part mean and pass rate, most frequent diagnoses).

Speed: the parent imports the grader, pytest, the checks (and whatever they
import, e.g. torch) once, grades the reference once to warm every lazy
import, freezes its heap, and then forks ``jobs`` grading processes that share
every imported page.  Each runs one pytest session (the checks collected
once) and grades up to ``Pool.RECYCLE`` submissions in it, then is replaced
by a fresh copy of the warm parent (forking per submission costs a third more
CPU: copy-on-write faults and tearing down the copy).
Student code never runs in these processes: each submission gets its own
sandbox (see sandbox/).

Crash safety: every file is written to a temporary name and renamed;
``result.json`` is written last and marks a submission as done, so a killed
batch resumes where it stopped (``--force`` grades everything again).  A
submission that breaks the grader (an exception, a crash, or more than
``SUBMISSION_TIMEOUT`` seconds) gets ``error.txt`` instead, is listed in the
summary, is retried by the next run, and the batch goes on.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import gc
import hashlib
import io
import json
import os
import select
import signal
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from micrograd_feedback.result import SubmissionResult
from micrograd_feedback.untrusted import csv_cell, markdown_text, shown

from . import class_report
from .rubric import Rubric, load_rubric
from .staging import remove_stale

SUBMISSION_TIMEOUT = 300.0  # seconds; far above the sandbox's own per-submission budget
RESULT, FEEDBACK, ERROR, STAMP = "result.json", "feedback.md", "error.txt", "graded-from.json"
FEEDBACK_PAGE = "feedback.html"
REPORT = "class-report.html"


def grade_batch(dir: str | os.PathLike, out: str | os.PathLike, jobs: int | None = None, force: bool = False,
                rubric: Rubric | None = None, scheduler: str | None = None, whole: bool = False,
                roster: dict | None = None) -> int:
    """Grade every subdirectory of ``dir`` into ``out``; 0 when every submission was graded.

    ``scheduler``: grade on a Dask cluster (``autograder/cluster.py``) instead of ``jobs`` local graders.
    Without an assignment's rubric, a class whose every submission is one assignment's notebook is graded
    on that assignment only (``class_rubric``), unless ``whole``.  ``roster`` (``roster.read_roster``) names
    each student in the reports and lists those who handed in nothing."""
    source, out = Path(dir), Path(out)
    rubric = rubric or load_rubric()
    if not source.is_dir():
        print(f"autograder: {source} is not a directory", file=sys.stderr)
        return 2
    if out.resolve().is_relative_to(source.resolve()):
        # A student's folder could then hold a forged result.json that resume would take as graded.
        print(f"autograder: --out {out} is inside {source}: choose an output folder outside the submissions",
              file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    submissions = sorted(p for p in source.iterdir() if p.is_dir() and not p.name.startswith("."))
    jobs = max(1, jobs or os.cpu_count() or 1)
    for stale in out.glob("*/.*.tmp"):  # half-written files of a batch that was killed
        with contextlib.suppress(OSError):
            stale.unlink()
    if removed := remove_stale():
        print(f"removed {removed} staging folder(s) left by a grader that was killed", file=sys.stderr)
    loaded = {s.name: _loaded(s) for s in submissions}
    if not rubric.assignment and not whole:
        rubric = class_rubric(rubric, loaded)
    stamps = {s.name: stamp_of(s, rubric, loaded[s.name]) for s in submissions}
    previous = {s.name: graded_stamp(out / s.name) for s in submissions}
    todo = [s for s in submissions if force or previous[s.name] != stamps[s.name]]
    changed = [s.name for s in todo if previous[s.name] is not None and not force]
    failures: dict[str, str] = {}
    interrupted = False
    if todo:
        if changed:
            print(f"grading again {len(changed)} submission(s) whose files, rubric or grader changed since they "
                  f"were graded: {', '.join(map(shown, changed[:10]))}{' ...' if len(changed) > 10 else ''}",
                  file=sys.stderr)
        try:
            if scheduler:
                from .cluster import run_cluster

                with progress(out, stamps, failures, len(submissions), len(submissions) - len(todo)) as finished:
                    run_cluster(todo, out, rubric, scheduler, finished)
            else:
                warm_up(rubric)
                failures = run_pool(todo, out, jobs, rubric, stamps, total=len(submissions),
                                    done=len(submissions) - len(todo))
        except KeyboardInterrupt:
            interrupted = True
    write_reports(submissions, out, rubric, roster)
    if interrupted:
        left = sum(graded_stamp(out / s.name) != stamps[s.name] for s in todo)
        print(f"\ninterrupted: {len(todo) - left} graded in this run, {left} left; the same command resumes "
              "where it stopped", file=sys.stderr)
        return 130
    skipped = len(submissions) - len(todo)
    again = f" ({len(changed)} of them again: changed since graded)" if changed else ""
    print(f"graded {len(todo) - len(failures)}{again}, skipped {skipped} unchanged since graded, "
          f"{len(failures)} failed; see {out / 'summary.md'} and {out / REPORT}", file=sys.stderr)
    for name, why in failures.items():
        print(f"  {shown(name)}: the grader failed: {shown(why, 300)}", file=sys.stderr)
    return 1 if failures else 0


def _loaded(submission: Path):
    """The submission as read now, or the exception that stops reading it."""
    from .submission import load_submission

    try:
        return load_submission(submission)
    except Exception as error:  # noqa: BLE001 - unreadable now: grade it again and let the grader say why
        return error


def class_rubric(rubric: Rubric, loaded: dict) -> Rubric:
    """The rubric of the one assignment every submission is a notebook of, else ``rubric`` itself: a
    class that handed in ``value_engine`` notebooks is never told about ``nn.py``."""
    from .submission import Submission

    found = {s.assignment if isinstance(s, Submission) and s.places else None for s in loaded.values()}
    assignment = found.pop() if len(found) == 1 else None
    if assignment is not None:
        print(f"grading the assignment {assignment} only: every submission is its notebook "
              "(--assignment all grades every part)", file=sys.stderr)
        return rubric.for_assignment(assignment)
    return rubric


def stamp_of(submission: Path, rubric: Rubric, loaded=None) -> dict[str, str]:
    """What a result was graded from: the submission's content as graded, the rubric, the grader.

    Resume keeps a result only while all three are the same: a student's changed file, an edited
    rubric or check, or a new grader secret means grading again.  ``loaded``: the submission as
    ``_loaded`` read it already."""
    loaded = _loaded(submission) if loaded is None else loaded
    if isinstance(loaded, Exception):
        content = f"unreadable: {type(loaded).__name__}"
    else:
        content = hashlib.sha256(json.dumps([loaded.digest, sorted(loaded.problems.items())]).encode()).hexdigest()
    return {"submission": content, "rubric": rubric_digest(rubric), "grader": grader_digest()}


def rubric_digest(rubric: Rubric) -> str:
    return hashlib.sha256(repr(rubric).encode()).hexdigest()


@functools.cache
def grader_digest() -> str:
    """The grading code, the reference and the secret's fingerprint (never the secret itself)."""
    from .secret import grader_secret

    digest = hashlib.sha256(hashlib.sha256(b"micrograd resume\0" + grader_secret()).digest())
    root = Path(__file__).resolve().parent.parent
    for package in ("autograder", "micrograd_feedback", "solutions"):
        for path in sorted((root / package).rglob("*")):
            if path.suffix in {".py", ".toml", ".txt"} and "__pycache__" not in path.parts:
                digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def graded_stamp(folder: Path) -> dict[str, str] | None:
    """The stamp of a submission's stored result, or None when it has no complete result."""
    if load_result(folder) is None:
        return None
    try:
        stamp = json.loads((folder / STAMP).read_text())
    except (OSError, ValueError):
        return {}  # graded by a kit without stamps: grade it again
    return stamp if isinstance(stamp, dict) else {}


# ----------------------------------------------------------------------------
# Parent: warm up once, fork graders
# ----------------------------------------------------------------------------
def warm_up(rubric: Rubric) -> None:
    """Import and initialise everything a grading needs, once, before forking."""
    import importlib

    from . import grade as grading
    from .sandbox.isolation import available_level
    from .secret import grader_secret

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
                _write_atomic(out / submission.name / STAMP, json.dumps(stamps[submission.name]) + "\n")
            else:
                failures[submission.name] = why
                if not (out / submission.name / ERROR).is_file():  # keep a grader's own traceback
                    _write_atomic(out / submission.name / ERROR, why + "\n")
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
    from .grade import grade_each

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
                _write_atomic(out / submission.name / ERROR, "".join(traceback.format_exception(failure, limit=8)))
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


# ----------------------------------------------------------------------------
# Child: one submission
# ----------------------------------------------------------------------------
def record(submission: Path, folder: Path, result: SubmissionResult) -> None:
    """Write one submission's feedback, then its result (last: it marks the submission done)."""
    from . import feedback

    folder.mkdir(parents=True, exist_ok=True)
    for stale in (ERROR, STAMP):  # the parent stamps the new result once it is complete
        with contextlib.suppress(FileNotFoundError):
            (folder / stale).unlink()
    try:
        text = feedback.render(submission.name, result, folder)
    except Exception:  # noqa: BLE001 - feedback is a courtesy; the result must still land
        text = f"# Feedback for {markdown_text(submission.name)}\n\nScore: {result.score} / {result.max_score}\n"
    _write_atomic(folder / FEEDBACK, text)
    with contextlib.suppress(Exception):  # the same feedback as a page to open in a browser (ditto)
        page = feedback.render_html(text, folder, f"Feedback for {shown(submission.name)}")
        _write_atomic(folder / FEEDBACK_PAGE, page)
    _write_atomic(folder / RESULT, json.dumps(result.to_json(), indent=2) + "\n")


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)


def load_result(folder: Path) -> dict | None:
    """The stored result of one submission, or None when it is not (completely) graded."""
    try:
        result = json.loads((folder / RESULT).read_text())
    except (OSError, ValueError):
        return None
    return result if isinstance(result, dict) and "parts" in result and "score" in result else None


# ----------------------------------------------------------------------------
# Gradebook and summary
# ----------------------------------------------------------------------------
def write_reports(submissions: list[Path], out: Path, rubric: Rubric, roster: dict | None = None) -> None:
    from micrograd_feedback.diagnosis.catalogue import generic

    parts = list(rubric.parts)
    results = {s.name: load_result(out / s.name) for s in submissions}
    roster = roster or {}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    named = ["last_name", "first_name", "email"] if roster else []
    writer.writerow(["submission", *named, "status", *parts, "total", "max_score"])

    def names(student_id: str) -> list[str]:
        student = roster.get(student_id)
        return [student.last_name, student.first_name, student.email] if student else [""] * len(named)

    for name, result in results.items():  # no cell ever starts a formula (untrusted.csv_cell)
        if result is None:
            row = [name, *names(name), "error", *[""] * len(parts), "", rubric.total]
        else:
            scores = [result["parts"].get(p, {}).get("score", "") for p in parts]
            row = [name, *names(name), "graded", *scores, result["score"], result["max_score"]]
        writer.writerow([csv_cell(cell) for cell in row])
    for student_id in roster:
        if student_id not in results:
            row = [student_id, *names(student_id), "no submission", *[""] * len(parts), "", rubric.total]
            writer.writerow([csv_cell(cell) for cell in row])
    _write_atomic(out / "gradebook.csv", buffer.getvalue())

    graded = {n: r for n, r in results.items() if r is not None}
    lines = ["# Class summary", ""]
    missing = len(results) - len(graded)
    lines.append(f"{len(graded)} of {len(results)} submissions graded"
                 + (f"; {missing} could not be graded (see below)." if missing else "."))
    if graded:
        totals = [r["score"] for r in graded.values()]
        lines += ["", f"Mean score {sum(totals) / len(totals):.1f} / {rubric.total:g}; "
                      f"full marks: {sum(t >= rubric.total - 1e-9 for t in totals)}.", ""]
        lines += ["| Part | Points | Mean | Pass rate |", "|---|---:|---:|---:|"]
        for part in parts:
            scores = [r["parts"].get(part, {}).get("score", 0.0) for r in graded.values()]
            points = rubric.parts[part].points
            passed = sum(s >= points - 1e-9 for s in scores)
            mean, rate = sum(scores) / len(scores), 100 * passed / len(scores)
            lines.append(f"| {part} | {points:g} | {mean:.2f} | {rate:.0f} % |")
        counts: Counter[str] = Counter()
        examples: dict[str, list[str]] = {}
        for name, result in graded.items():
            found = SubmissionResult.from_json(result).diagnosis_keys()
            counts.update(found)
            for key in found:
                examples.setdefault(key, []).append(name)
        lines += ["", "## Most frequent diagnoses", ""]
        if counts:
            lines += ["| Diagnosis | Submissions | Meaning | e.g. |", "|---|---:|---|---|"]
            for key, count in counts.most_common(15):
                meaning = generic(key).replace("|", "\\|")
                shown_names = ", ".join(markdown_text(n) for n in sorted(examples[key])[:3])
                lines.append(f"| `{key}` | {count} | {meaning} | {shown_names} |")
        else:
            lines.append("None.")
    failed = [n for n, r in results.items() if r is None]
    if failed:
        lines += ["", "## Not graded (the grader failed; re-run to retry)", ""]
        lines += [f"- {markdown_text(name)}: {markdown_text(_failure_reason(out / name))}" for name in failed]
    _write_atomic(out / "summary.md", "\n".join(lines) + "\n")
    _write_atomic(out / REPORT, class_report.render(
        {n: SubmissionResult.from_json(r) if r is not None else None for n, r in results.items()},
        {n: _failure_reason(out / n) for n in failed}, rubric, roster))


def _failure_reason(folder: Path) -> str:
    why = folder / ERROR
    lines = why.read_text(errors="replace").strip().splitlines() if why.is_file() else []
    return lines[-1][:200] if lines else "not graded yet"
