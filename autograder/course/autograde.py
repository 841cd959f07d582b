"""``nbgrader autograde`` at the kit's speed: ``python -m autograder nbgrader-autograde ASSIGNMENT``.

``nbgrader autograde`` starts a kernel per notebook and runs every cell, one
student after another; the check cells then ask the kit's grader for their
points.  This command gets the same points without any kernel:

1. **Grade in parallel.**  For every ``submitted/<student>/<assignment>/``, the
   code cells are assembled into modules exactly as a check cell does under
   autograde (``notebooks.submitted_notebooks`` and ``extract_modules``), and
   the modules are graded by ``grade-batch`` (sandboxed, ``--jobs`` graders,
   resumable: ``.kit-grades/<assignment>/`` in the course), in a process of
   its own.
2. **nbgrader's own pipeline, with one step swapped, meanwhile.**  nbgrader's
   ``Autograde`` converter runs as usual (it restores locked and deleted test
   cells from the gradebook, applies late penalties, writes ``autograded/``
   and the gradebook), except that ``Execute`` is replaced by ``KitGrades``
   (``nbgrader_kitgrades.py``), which gives each check cell the output its
   hidden tests print under ``nbgrader autograde``: the part's report, the
   picture of a wrong gradient and the points as the cell's result
   (nbgrader's partial credit).  It takes each student's result as soon as
   the batch has stamped it (``Arrivals``), so nbgrader's work overlaps the
   grading instead of following it.

Student code runs only in the grader's sandbox.  What this cannot reproduce:
the outputs of the students' own cells (nothing is executed, so
``autograded/`` notebooks show none) and a cell's error in a kernel (a check
cell's points come from the grader alone, as they already do).  Formgrader,
manual grading, ``generate_feedback`` and ``export`` read the gradebook and
work as after a plain autograde.  docs/nbgrader.md.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from micrograd_feedback.untrusted import shown

from .notebooks import extract_modules, submitted_notebooks

CACHE = ".kit-grades"
ROSTER = "roster.csv"  # the course's class list, as `make roster` keeps it
NOT_AUTOGRADED = "not-autograded.json"  # student -> nbgrader's reason, for the export (nbgrader_export.py)


class ConversionFailures(logging.Handler):
    """nbgrader's converter logs a submission it could not autograde (its traceback) and goes on;
    this keeps student -> the traceback's last line, nbgrader's reason."""

    STARTS = "There was an error processing assignment: %s"

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.reasons: dict[str, str] = {}
        self._student: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == self.STARTS and record.args:
            self._student = Path(str(record.args[0] if isinstance(record.args, tuple) else record.args)).parent.name
        elif self._student is not None and str(record.msg).startswith("Traceback"):
            lines = [line for line in str(record.msg).splitlines() if line.strip()]
            self.reasons[self._student] = lines[-1].strip() if lines else "nbgrader failed"
            self._student = None


@dataclass
class Arrivals:
    """The results of a ``grade-batch`` that is still running, each as soon as it is complete.

    A result counts once its stamp (what it was graded from: ``batch.store.stamp_of``) is the one
    expected for this run, so a result left by an earlier run of changed code is never taken.
    """

    staged: Path  # the batch's input: <student>/<module>.py, as ``stage_sources`` wrote them
    results: Path  # the batch's --out
    expected: dict[str, dict[str, str]]  # student -> the stamp of what this run grades
    batch: subprocess.Popen
    poll_seconds: float = 0.02

    def __deepcopy__(self, memo: dict) -> Arrivals:
        return self  # a live handle on the running batch: traitlets copies config values, this one is shared

    def sources(self, student: str) -> dict[str, str]:
        """The modules the batch grades for ``student`` (read back exactly: not parsed from the notebook again)."""
        return {path.stem: path.read_bytes().decode("utf-8") for path in sorted((self.staged / student).glob("*.py"))}

    def result(self, student: str) -> dict:
        """The student's result, or ``{"error": ...}`` as ``notebooks.grade_modules`` gives."""
        from ..batch.store import ERROR, graded_stamp, load_result

        folder = self.results / student
        while graded_stamp(folder) != self.expected.get(student):
            if self.batch.poll() is not None:  # it ended without grading this one
                if self.batch.returncode not in (0, 1):  # 1: some failed, each with its error.txt
                    raise RuntimeError(f"grade-batch stopped (exit status {self.batch.returncode}) before "
                                       f"grading {student}")
                why = (folder / ERROR).read_text(errors="replace").strip()[-300:] if (folder / ERROR).is_file() \
                    else "no result"
                return {"error": f"the grader failed: {why}"}
            time.sleep(self.poll_seconds)
        result = load_result(folder)
        assert result is not None, "a stamped result is complete"
        return result


# ----------------------------------------------------------------------------
# The command
# ----------------------------------------------------------------------------
def stage_sources(course: Path, assignment: str, students: list[str] | None, staging: Path) -> list[str]:
    """``staging/<student>/<module>.py`` from each submission, as a check cell assembles them."""
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    staged = []
    for folder in sorted((course / "submitted").glob(f"*/{assignment}")):
        student = folder.parent.name
        if not folder.is_dir() or folder.is_symlink() or (students and student not in students):
            continue
        files = submitted_notebooks(course / "autograded" / student / assignment) or []
        target = staging / student
        target.mkdir()
        for module, text in extract_modules(files).items():
            (target / f"{module}.py").write_text(text, encoding="utf-8")
        staged.append(student)
    return staged


def autograde(course: Path, assignment: str, students: list[str] | None = None, jobs: int | None = None) -> int:
    """Grade ``submitted/*/<assignment>`` with the kit and, as results come, run nbgrader's Autograde with
    ``KitGrades``."""
    from ..batch.store import stamp_of

    course = course.resolve()
    cache = course / CACHE / assignment
    sources, results = cache / "sources", cache / "results"
    staged = stage_sources(course, assignment, students, sources)
    if not staged:
        print(f"nbgrader-autograde: no submissions of {assignment} under {course / 'submitted'}", file=sys.stderr)
        return 0
    # Its own process: grading starts (and warms up) while this one loads nbgrader and converts.
    from ..rubric import load_rubric

    known = assignment in load_rubric().assignments  # graded as that assignment: its parts only
    batch = subprocess.Popen([sys.executable, "-m", "autograder", "grade-batch", str(sources), "--out", str(results),
                              "--assignment", assignment if known else "all",
                              *(["--roster", str(course / ROSTER)] if (course / ROSTER).is_file() else []),
                              *(["--jobs", str(jobs)] if jobs else [])])
    # nbgrader's converter, one notebook after another, is the slower of the two once grading runs:
    # it goes first for the cores (about 5 % sooner done for 20 notebooks on 2 cores).
    os.setpriority(os.PRIO_PROCESS, batch.pid, 5)
    try:
        rubric = load_rubric().for_assignment(assignment) if known else load_rubric()  # as the batch grades
        expected = {student: stamp_of(sources / student, rubric) for student in staged}
        status = run_nbgrader(course, assignment, staged, Arrivals(sources, results, expected, batch))
        batch.wait()
    except BaseException:
        batch.terminate()  # it stops its graders and keeps what it graded: the same command resumes
        raise
    finally:
        try:
            batch.wait(timeout=30)
        except subprocess.TimeoutExpired:
            batch.kill()
            batch.wait()
    if batch.returncode not in (0, 1):
        return batch.returncode
    return status


def run_nbgrader(course: Path, assignment: str, students: list[str], arrivals: Arrivals) -> int:
    """nbgrader's Autograde converter on ``students``, with the course's config and KitGrades for Execute."""
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import Execute
    from traitlets.config.loader import PyFileConfigLoader

    from .kitgrades import KitGrades

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    configured = config.Autograde.get("autograde_preprocessors")  # the course's own list, if it has one
    steps = list(configured or Autograde.class_traits()["autograde_preprocessors"].default())
    config.Autograde.autograde_preprocessors = [KitGrades if step is Execute else step for step in steps]
    config.KitGrades.arrivals, config.KitGrades.course = arrivals, str(course)
    config.CourseDirectory.root = str(course)
    failures = ConversionFailures()
    previous = Path.cwd()
    os.chdir(course)  # nbgrader resolves the course's relative paths from here, as its CLI does
    try:
        # One converter run for the whole class when every submission is wanted, as `nbgrader autograde A` does.
        every = sorted(p.parent.name for p in (course / "submitted").glob(f"*/{assignment}") if p.is_dir())
        with one_engine_per_database():  # one SQLAlchemy engine, not nine per notebook
            for student in ["*"] if students == every else students:
                coursedir = CourseDirectory(config=config)
                coursedir.assignment_id, coursedir.student_id = assignment, student
                app = Autograde(coursedir=coursedir, config=config)
                app.force = True
                app.create_student = bool(config.Autograde.get("create_student", True))
                app.log.addHandler(failures)
                try:
                    with warnings.catch_warnings():
                        # nbgrader's gradebook code warns about every submission under SQLAlchemy 2 (its own
                        # cascade into a session; nothing is lost): noise, not news, for the instructor.
                        warnings.filterwarnings("ignore", message=".* not in session, add operation along")
                        app.start()
                except Exception as error:  # noqa: BLE001 - nbgrader said why in its log; the others go on
                    if student != "*":
                        failures.reasons.setdefault(student, f"{type(error).__name__}: {error}")
                finally:
                    app.log.removeHandler(failures)
    finally:
        os.chdir(previous)
    # nbgrader removes what it could not autograde: the folder is the truth, its log the reason.
    failed = {student: failures.reasons.get(student, "nbgrader did not autograde it (see its log above)")
              + tampering(course / "submitted" / student / assignment)
              for student in students if not (course / "autograded" / student / assignment).is_dir()}
    record_not_autograded(course, assignment, students, failed)
    print(f"nbgrader-autograde: {len(students) - len(failed)} of {len(students)} {assignment} submissions in the "
          f"gradebook", file=sys.stderr)
    for student, why in sorted(failed.items()):
        print(f"nbgrader-autograde: {shown(student)} is not in the gradebook: nbgrader could not autograde it: "
              f"{shown(why, 300)}", file=sys.stderr)
    if failed:
        print("nbgrader-autograde: `make export` leaves their scores empty (not 0); fix the notebook (nbgrader "
              "restores the course's cells only when their metadata is intact) or grade it with "
              "`python -m autograder grade`", file=sys.stderr)
    return 1 if failed else 0


@contextlib.contextmanager
def one_engine_per_database() -> Iterator[None]:
    """nbgrader's gradebook code opens a new SQLAlchemy engine for every ``Gradebook`` (nine per notebook), and
    an engine's cache of compiled statements dies with it: each of its queries was compiled anew, about a
    quarter of the converter's time.  For the run, nbgrader's ``Gradebook`` gets one engine per database
    URL instead.  The queries and the database are the same; ``Gradebook.close()`` still empties the
    engine's pool (``dispose``), so nothing holds the file between two of them."""
    import nbgrader.api
    from sqlalchemy import create_engine
    from sqlalchemy.engine import Engine  # where SQLAlchemy 1.4 has it too

    engines: dict[tuple, Engine] = {}

    def shared(url: str, **options: object) -> Engine:
        key = (str(url), tuple(sorted(options.items())))
        if key not in engines:
            engines[key] = create_engine(url, **options)
        return engines[key]

    opened = nbgrader.api.create_engine
    nbgrader.api.create_engine = shared
    try:
        yield
    finally:
        nbgrader.api.create_engine = opened
        for engine in engines.values():
            engine.dispose()


def tampering(folder: Path) -> str:
    """What the student changed in the course's cells (often why nbgrader failed), as a clause."""
    from ..intake.notebook_integrity import findings
    from ..rubric import load_rubric

    documents = [path.read_bytes() for path in sorted(folder.glob("*.ipynb")) if path.is_file()]
    changed, _ = findings(documents, load_rubric())
    return f" (the notebook's grading cells were changed: {'; '.join(changed)})" if changed else ""


def record_not_autograded(course: Path, assignment: str, students: list[str], failed: dict[str, str]) -> None:
    """Keep, per assignment, who could not be autograded and why (this run's students updated)."""
    path = course / CACHE / assignment / NOT_AUTOGRADED
    try:
        known = json.loads(path.read_text())
    except (OSError, ValueError):
        known = {}
    known = {s: why for s, why in (known if isinstance(known, dict) else {}).items() if s not in students}
    known.update(failed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(known, indent=2, sort_keys=True) + "\n")
