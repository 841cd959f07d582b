"""Grade a whole class: ``python -m autograder grade-batch DIR --out OUTDIR [--jobs N] [--force]``.

Every subdirectory of DIR is one submission.  For each, OUTDIR/<name>/ gets
``result.json`` (the contract's JSON) and ``feedback.md`` (with a picture of
the expression graph for a wrong gradient); OUTDIR gets ``gradebook.csv`` and
``summary.md`` (per-part mean and pass rate, most frequent diagnoses).

Speed: the parent imports the grader, pytest, the checks (and whatever they
import, e.g. torch) once, grades the reference once to warm every lazy
import, freezes its heap, and then forks one grading process per submission,
``jobs`` at a time.  A fork costs milliseconds and shares every imported page;
each child grades in a clean copy of the warm parent and exits, so nothing
leaks from one submission into the next.  Student code never runs in these
processes: each child starts one sandbox per submission (see sandbox/).

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
import gc
import io
import json
import os
import signal
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

SUBMISSION_TIMEOUT = 300.0  # seconds; far above the sandbox's own per-submission budget
RESULT, FEEDBACK, ERROR = "result.json", "feedback.md", "error.txt"


def grade_batch(dir: str | os.PathLike, out: str | os.PathLike, jobs: int | None = None, force: bool = False) -> int:
    """Grade every subdirectory of ``dir`` into ``out``; 0 when every submission was graded."""
    source, out = Path(dir), Path(out)
    if not source.is_dir():
        print(f"autograder: {source} is not a directory", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    submissions = sorted(p for p in source.iterdir() if p.is_dir() and not p.name.startswith("."))
    jobs = max(1, jobs or os.cpu_count() or 1)
    for stale in out.glob("*/.*.tmp"):  # half-written files of a batch that was killed
        with contextlib.suppress(OSError):
            stale.unlink()
    todo = [s for s in submissions if force or load_result(out / s.name) is None]
    failures: dict[str, str] = {}
    if todo:
        warm_up()
        failures = run_pool(todo, out, jobs, total=len(submissions), done=len(submissions) - len(todo))
    write_reports(submissions, out)
    skipped = len(submissions) - len(todo)
    print(f"graded {len(todo) - len(failures)}, skipped {skipped} already graded, "
          f"{len(failures)} failed; see {out / 'summary.md'}", file=sys.stderr)
    for name, why in failures.items():
        print(f"  {name}: the grader failed: {why}", file=sys.stderr)
    return 1 if failures else 0


# ----------------------------------------------------------------------------
# Parent: warm up once, fork per submission
# ----------------------------------------------------------------------------
def warm_up() -> None:
    """Import and initialise everything a grading needs, once, before forking."""
    import importlib

    from . import grade as grading
    from .rubric import load_rubric
    from .sandbox.isolation import available_level

    for part in load_rubric().parts.values():
        for check in part.checks:
            importlib.import_module(f"autograder.checks.{check}")
    available_level(os.environ.get("MICROGRAD_SANDBOX"))  # probe the sandbox levels once, not per child
    grading.grader_secret()
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)  # no OpenMP pool in the parent: forking after one can hang the child
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        with contextlib.suppress(Exception):
            grading.grade(grading.REFERENCE_DIR)  # every lazy import and cache, in the parent
    gc.collect()
    gc.freeze()  # the children's collections skip the parent's objects (and copy fewer pages)


def run_pool(todo: list[Path], out: Path, jobs: int, total: int, done: int) -> dict[str, str]:
    """Fork one child per submission, ``jobs`` at a time; returns name -> why the grader failed."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    failures: dict[str, str] = {}
    running: dict[int, tuple[Path, float]] = {}
    queue = list(todo)
    started = time.monotonic()
    columns = [TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
               TextColumn("{task.fields[rate]}"), TextColumn("ETA"), TimeRemainingColumn(), TimeElapsedColumn()]
    from rich.console import Console

    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
        task = progress.add_task("grading", total=total, completed=done, rate="")
        previous = signal.signal(signal.SIGTERM, _terminate)  # a killed batch kills its children
        try:
            while queue or running:
                while queue and len(running) < jobs:
                    submission = queue.pop(0)
                    running[_fork(submission, out / submission.name)] = (submission, time.monotonic())
                pid, status = os.waitpid(-1, os.WNOHANG)
                if pid == 0:
                    _kill_overdue(running)
                    time.sleep(0.005)
                    continue
                if pid not in running:
                    continue
                submission, _ = running.pop(pid)
                why = _failure(out / submission.name, status)
                if why:
                    failures[submission.name] = why
                    _write_atomic(out / submission.name / ERROR, why + "\n")
                finished = progress.tasks[0].completed + 1 - done
                rate = finished / max(time.monotonic() - started, 1e-9)
                progress.update(task, advance=1, rate=f"{rate:.1f}/s")
        finally:
            signal.signal(signal.SIGTERM, previous)
            for pid in running:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
    return failures


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def _fork(submission: Path, folder: Path) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # ^C stops the parent, which kills us
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        grade_one(submission, folder)
    except BaseException:  # noqa: BLE001 - report it; the parent carries on
        with contextlib.suppress(BaseException):
            _write_atomic(folder / ERROR, traceback.format_exc(limit=8))
        code = 3
    finally:
        os._exit(code)


def _kill_overdue(running: dict[int, tuple[Path, float]]) -> None:
    now = time.monotonic()
    for pid, (_, since) in running.items():
        if now - since > SUBMISSION_TIMEOUT:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


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
def grade_one(submission: Path, folder: Path) -> dict:
    from . import feedback
    from .grade import grade

    result = grade(submission)
    folder.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        (folder / ERROR).unlink()
    try:
        text = feedback.render(submission.name, result, folder)
    except Exception:  # noqa: BLE001 - feedback is a courtesy; the result must still land
        text = f"# Feedback for {submission.name}\n\nScore: {result['score']} / {result['max_score']}\n"
    _write_atomic(folder / FEEDBACK, text)
    _write_atomic(folder / RESULT, json.dumps(result, indent=2) + "\n")  # last: marks the submission done
    return result


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
def write_reports(submissions: list[Path], out: Path) -> None:
    from .diagnosis import BUGS
    from .feedback import diagnoses
    from .rubric import load_rubric

    rubric = load_rubric()
    parts = list(rubric.parts)
    results = {s.name: load_result(out / s.name) for s in submissions}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["submission", "status", *parts, "total", "max_score"])
    for name, result in results.items():
        if result is None:
            writer.writerow([name, "error", *[""] * len(parts), "", rubric.total])
        else:
            scores = [result["parts"].get(p, {}).get("score", "") for p in parts]
            writer.writerow([name, "graded", *scores, result["score"], result["max_score"]])
    _write_atomic(out / "gradebook.csv", buffer.getvalue())

    graded = {n: r for n, r in results.items() if r is not None}
    lines = ["# Class summary", ""]
    lines.append(f"{len(graded)} of {len(results)} submissions graded"
                 + (f"; {len(results) - len(graded)} could not be graded (see below)." if len(graded) < len(results) else "."))
    if graded:
        totals = [r["score"] for r in graded.values()]
        lines += ["", f"Mean score {sum(totals) / len(totals):.1f} / {rubric.total:g}; "
                      f"full marks: {sum(t >= rubric.total - 1e-9 for t in totals)}.", ""]
        lines += ["| Part | Points | Mean | Pass rate |", "|---|---:|---:|---:|"]
        for part in parts:
            scores = [r["parts"].get(part, {}).get("score", 0.0) for r in graded.values()]
            points = rubric.parts[part].points
            passed = sum(s >= points - 1e-9 for s in scores)
            lines.append(f"| {part} | {points:g} | {sum(scores) / len(scores):.2f} | {100 * passed / len(scores):.0f} % |")
        counts: Counter[str] = Counter()
        examples: dict[str, list[str]] = {}
        for name, result in graded.items():
            found = {key for t in result["tests"] if t["status"] != "passed" for key in diagnoses(t["message"])}
            counts.update(found)
            for key in found:
                examples.setdefault(key, []).append(name)
        lines += ["", "## Most frequent diagnoses", ""]
        if counts:
            lines += ["| Diagnosis | Submissions | Meaning | e.g. |", "|---|---:|---|---|"]
            for key, count in counts.most_common(15):
                meaning = BUGS.get(key, "").replace("|", "\\|")
                lines.append(f"| `{key}` | {count} | {meaning} | {', '.join(sorted(examples[key])[:3])} |")
        else:
            lines.append("None.")
    failed = [n for n, r in results.items() if r is None]
    if failed:
        lines += ["", "## Not graded (the grader failed; re-run to retry)", ""]
        for name in failed:
            why = (out / name / ERROR)
            reason = why.read_text(errors="replace").strip().splitlines()[-1:] if why.is_file() else ["not graded yet"]
            lines.append(f"- {name}: {reason[0][:200] if reason else ''}")
    _write_atomic(out / "summary.md", "\n".join(lines) + "\n")
