"""Tampered nbgrader metadata and IPython commands in notebook submissions (issue 21).

A class of ``value_engine`` notebooks, the solution filled in, each with one edit
of ``tests/hostile/notebook_tampering.py``, is graded by every route a course
uses: ``grade`` (one notebook), ``grade-batch`` (the class), real ``nbgrader
autograde`` (kernels) and ``nbgrader-autograde`` (the kit's fast path).  The
kit's score is never higher than the honest notebook's, nor than what real
nbgrader gives; the result says what was tampered with; the fast path counts
and names every student nbgrader could not autograde, with nbgrader's reason,
and the export leaves their score empty instead of a 0.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.grading.grade import grade_result
from autograder.rubric import load_rubric
from tests.hostile.notebook_tampering import EDITS, FINDS, NBGRADER_FAILS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ASSIGNMENT = "value_engine"
ENV = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")


def run(course: Path, *command: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(list(command), cwd=course, env=ENV, capture_output=True, text=True, timeout=900)
    assert not check or done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def new_course(folder: Path) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "assignments" / "nbgrader_config.py", folder)
    shutil.copytree(ROOT / "assignments" / "source" / ASSIGNMENT, folder / "source" / ASSIGNMENT)
    run(folder, str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT, "--create", "--log-level=ERROR")
    return folder


def submit(course: Path, student: str, edit) -> Path:
    source = nbformat.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    solutions = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            cell.source = solutions[grade_id]
    if edit is not None:
        edit(nb)
    target = course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    target.parent.mkdir(parents=True)
    nbformat.write(nb, target)
    return target


def gradebook(course: Path) -> dict[str, float]:
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in ["honest", *EDITS]:
            if not (course / "autograded" / student / ASSIGNMENT).is_dir():
                continue  # nbgrader could not autograde it (it keeps an empty record)
            try:
                scores[student] = gb.find_submission(ASSIGNMENT, student).score
            except MissingEntry:
                pass
    return scores


@pytest.fixture(scope="module")
def classes(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("tampered")
    plain = new_course(root / "plain")
    for student, edit in {"honest": None, **EDITS}.items():
        submit(plain, student, edit)
    fast = new_course(root / "fast")
    shutil.copytree(plain / "submitted", fast / "submitted")
    run(plain, str(BIN / "nbgrader"), "autograde", ASSIGNMENT, "--log-level=ERROR", check=False)
    done = run(fast, sys.executable, "-m", "autograder", "nbgrader-autograde", ASSIGNMENT, "--course", str(fast),
               "--jobs", "2", check=False)
    return {"plain": plain, "fast": fast, "fast_run": done}


@pytest.fixture(scope="module")
def kit(classes) -> dict:
    notebooks = classes["plain"] / "submitted"
    rubric = load_rubric().for_assignment(ASSIGNMENT)
    return {student: grade_result(notebooks / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", rubric=rubric)
            for student in ["honest", *EDITS]}


@pytest.mark.parametrize("edit", list(EDITS))
def test_grade_is_never_higher_and_says_what_was_tampered_with(kit, classes, edit):
    result, honest = kit[edit], kit["honest"]
    assert honest.score == honest.max_score and "notebook" not in honest.problems
    assert result.score <= honest.score
    for part, data in result.parts.items():
        assert data.score <= honest.parts[part].score
    if FINDS[edit]:
        assert FINDS[edit] in result.problems.get("notebook", ""), result.problems
        assert result.problem_kinds["notebook"] == "notebook-changed"
    nbgrader_scores = gradebook(classes["plain"])
    if edit in nbgrader_scores:
        assert result.score <= nbgrader_scores[edit] + 1e-6, "higher than real nbgrader autograde gives"


def test_ipython_commands_do_not_keep_the_engine_from_being_graded(kit):
    assert kit["ipython_commands"].score == kit["honest"].score
    assert "In[" in kit["ipython_commands"].problems["notebook"]


def test_real_nbgrader_fails_on_exactly_these(classes):
    graded = gradebook(classes["plain"])
    assert set(graded) == {"honest", *EDITS} - set(NBGRADER_FAILS)


def test_grade_batch_flags_every_tampered_notebook(classes, tmp_path, kit):
    source = tmp_path / "class"
    for student in ["honest", *EDITS]:
        shutil.copytree(classes["plain"] / "submitted" / student / ASSIGNMENT, source / student)
    out = tmp_path / "out"
    run(tmp_path, sys.executable, "-m", "autograder", "grade-batch", str(source), "--out", str(out), "--jobs", "2",
        "--assignment", ASSIGNMENT)
    for student, result in kit.items():
        stored = json.loads((out / student / "result.json").read_text())
        assert stored["score"] == result.score and stored["problems"] == result.problems, student
    report = (out / "class-report.html").read_text()
    flagged = {s for s in EDITS if FINDS[s]}
    assert all(f"./{s}/feedback" in report for s in flagged)


def test_fast_path_names_every_student_nbgrader_could_not_autograde(classes):
    done = classes["fast_run"]
    log = done.stdout + done.stderr
    total = 1 + len(EDITS)
    assert done.returncode == 1, log
    assert f"{total - len(NBGRADER_FAILS)} of {total} {ASSIGNMENT} submissions in the gradebook" in log
    named = set(re.findall(r"nbgrader-autograde: (\w+) is not in the gradebook: nbgrader could not autograde it: "
                           r"\S", log))
    assert named == set(NBGRADER_FAILS)
    assert "grade_id" in log  # nbgrader's reason, and what the student changed
    assert gradebook(classes["fast"]) == pytest.approx(gradebook(classes["plain"]))


def test_export_never_turns_a_failure_into_a_zero(classes):
    fast = classes["fast"]
    run(fast, str(BIN / "nbgrader"), "export", "--to", str(fast / "grades.csv"), "--log-level=ERROR")
    with open(fast / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    for student in NBGRADER_FAILS:
        assert rows[student]["score"] == "" and rows[student]["raw_score"] == ""
        assert rows[student]["status"].startswith("not autograded: ")
    assert rows["honest"]["score"] == "60" and rows["honest"]["status"] == "graded"
