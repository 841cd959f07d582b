"""Grade a whole class: ``python -m autograder grade-batch DIR --out OUTDIR [--jobs N] [--force]``.

Every subdirectory of DIR is one submission.  For each, OUTDIR/<name>/ gets
``result.json`` (the contract's JSON), ``feedback.md`` (with a picture of
the expression graph for a wrong gradient) and the same as a self-contained page,
``feedback.html``; OUTDIR gets ``gradebook.csv`` and
``summary.md`` (per-part mean and pass rate, most frequent diagnoses).

Here: which submissions to grade (resume), then the graders (``pool``: forked
on this machine; ``cluster``: a Dask cluster), what each stores (``store``),
and the class's reports (``reporters/gradebook.py``).

Crash safety: every file is written to a temporary name and renamed;
``result.json`` is written last and marks a submission as done, so a killed
batch resumes where it stopped (``--force`` grades everything again).  A
submission that breaks the grader (an exception, a crash, or more than
``SUBMISSION_TIMEOUT`` seconds) gets ``error.txt`` instead, is listed in the
summary, is retried by the next run, and the batch goes on.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from micrograd_feedback.untrusted import shown

from ..rubric import Rubric, load_rubric
from ..sandbox.staging import remove_stale
from .history import changes
from .meanwhile import Meanwhile
from .pool import progress, run_pool, warm_up
from .store import (
    REPORT,
    RESULT,
    STAMP,
    failure_reason,
    graded_stamp,
    load_result,
    loaded,
    note_adjustments,
    stamp_of,
    write_atomic,
)


def grade_batch(dir: str | os.PathLike, out: str | os.PathLike, jobs: int | None = None, force: bool = False,
                rubric: Rubric | None = None, scheduler: str | None = None, whole: bool = False,
                roster: dict | None = None, late: tuple | None = None,
                overrides: dict | None = None, similar: bool = True, public_code: Path | None = None) -> int:
    """Grade every subdirectory of ``dir`` into ``out``; 0 when every submission was graded.

    ``scheduler``: grade on a Dask cluster (``autograder/batch/cluster.py``) instead of ``jobs`` local graders.
    Without an assignment's rubric, a class whose every submission is one assignment's notebook is graded
    on that assignment only (``class_rubric``), unless ``whole``.  ``roster`` (``roster.read_roster``) names
    each student in the reports and lists those who handed in nothing.  ``late``: (``late.LatePolicy``, id ->
    submission time): each graded submission's penalty, shown apart from its score in every report.
    ``overrides`` (``overrides.read_overrides``): the instructor's points, applied to the reports, never to
    a result.  ``similar``: the class report lists pairs of similar code for review (``similarity.py``),
    among the submissions and with ``public_code`` (a folder of public sources) and the kit's reference."""
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
    submissions = submission_folders(source)
    jobs = max(1, jobs or os.cpu_count() or 1)
    for stale in out.glob("*/.*.tmp"):  # half-written files of a batch that was killed
        with contextlib.suppress(OSError):
            stale.unlink()
    if removed := remove_stale():
        print(f"removed {removed} staging folder(s) left by a grader that was killed", file=sys.stderr)
    read = {s.name: loaded(s) for s in submissions}
    if not rubric.assignment and not whole:
        rubric = class_rubric(rubric, read)
    stamps = {s.name: stamp_of(s, rubric, read[s.name]) for s in submissions}
    previous = {s.name: graded_stamp(out / s.name) for s in submissions}
    todo = [s for s in submissions if force or previous[s.name] != stamps[s.name]]
    changed = [s.name for s in todo if previous[s.name] is not None and not force]
    failures: dict[str, str] = {}
    interrupted = False
    compared = None
    if similar:  # it reads the submissions only: computed while they are graded, by a child forked first
        from ..similarity import BUDGET_SECONDS, similarity

        # The child stops comparing after BUDGET_SECONDS of CPU, and has a core of its own once the graders are done.
        compared = Meanwhile(similarity, read, public_code, patience=2 * BUDGET_SECONDS)
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
    write_reports(submissions, out, rubric, roster, late, overrides, compared.result() if compared else None)
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


def submission_folders(source: Path) -> list[Path]:
    """The submissions of a class: every subfolder of ``source`` but hidden ones, by name."""
    return sorted(p for p in source.iterdir() if p.is_dir() and not p.name.startswith("."))


def class_rubric(rubric: Rubric, read: dict) -> Rubric:
    """The rubric of the one assignment every submission is a notebook of, else ``rubric`` itself: a
    class that handed in ``value_engine`` notebooks is never told about ``nn.py``."""
    from ..intake.submission import Submission

    found = {s.assignment if isinstance(s, Submission) and s.places else None for s in read.values()}
    assignment = found.pop() if len(found) == 1 else None
    if assignment is not None:
        print(f"grading the assignment {assignment} only: every submission is its notebook "
              "(--assignment all grades every part)", file=sys.stderr)
        return rubric.for_assignment(assignment)
    return rubric


def write_reports(submissions: list[Path], out: Path, rubric: Rubric, roster: dict | None = None,
                  late: tuple | None = None, overrides: dict | None = None, similar=None) -> None:
    """The class's reports (``reporters/gradebook.py``) from every stored result, written beside them; the
    instructor's adjustments first, on copies of the results: overrides (``overrides.apply``), then the late
    penalty on the overridden score (``store.note_adjustments`` keeps both and tells the student); ``similar``:
    the class report's section on similar code (``similarity.similarity``), None when turned off."""
    from ..late import assess
    from ..overrides import apply
    from ..reporters import gradebook

    results = {s.name: load_result(out / s.name) for s in submissions}
    errors = {name: failure_reason(out / name) for name, result in results.items() if result is None}
    changed = {name: changes(out / name, result, RESULT, STAMP) for name, result in results.items()
               if result is not None}
    notes: dict[str, list[str]] = {}
    for name, result in results.items():
        if result is not None and overrides and overrides.get(name):
            results[name], notes[name] = apply(result, overrides[name])
    lateness = None
    if late is not None:
        policy, times = late
        lateness = {name: assess(policy, name, times[name], result["score"]) for name, result in results.items()
                    if result is not None and name in times}
    for name, result in results.items():
        if result is not None:
            note_adjustments(out / name, lateness.get(name) if lateness is not None else None, notes.get(name, []),
                             result if name in notes else None, changed.get(name, []))
    for name, said in changed.items():  # the reports read it beside the result (gradebook, class report)
        if said and results[name] is not None:
            results[name] = {**results[name], "changes": said}  # type: ignore[dict-item]
    for name, text in gradebook.render(results, errors, rubric, roster, lateness, similar).items():
        write_atomic(out / name, text)
