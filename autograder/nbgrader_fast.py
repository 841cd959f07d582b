"""``nbgrader autograde`` at the kit's speed: ``python -m autograder nbgrader-autograde ASSIGNMENT``.

``nbgrader autograde`` starts a kernel per notebook and runs every cell, one
student after another; the check cells then ask the kit's grader for their
points.  This command gets the same points without any kernel:

1. **Grade in parallel.**  For every ``submitted/<student>/<assignment>/``, the
   code cells are assembled into modules exactly as a check cell does under
   autograde (``notebooks.submitted_notebooks`` and ``extract_modules``), and
   the modules are graded by ``grade-batch`` (sandboxed, ``--jobs`` graders,
   resumable: ``.kit-grades/<assignment>/`` in the course).
2. **nbgrader's own pipeline, with one step swapped.**  nbgrader's
   ``Autograde`` converter runs as usual (it restores locked and deleted test
   cells from the gradebook, applies late penalties, writes ``autograded/``
   and the gradebook), except that ``Execute`` is replaced by ``KitGrades``,
   which gives each check cell the output its hidden tests print under
   ``nbgrader autograde``: the part's report, the picture of a wrong gradient
   and the points as the cell's result (nbgrader's partial credit).

Student code runs only in the grader's sandbox.  What this cannot reproduce:
the outputs of the students' own cells (nothing is executed, so
``autograded/`` notebooks show none) and a cell's error in a kernel (a check
cell's points come from the grader alone, as they already do).  Formgrader,
manual grading, ``generate_feedback`` and ``export`` read the gradebook and
work as after a plain autograde.  docs/nbgrader.md.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from nbgrader.preprocessors.base import NbGraderPreprocessor
from traitlets import Unicode

from .notebooks import (
    _rubric_parts,
    cell_locator,
    extract_modules,
    format_part,
    nothing_graded,
    submitted_notebooks,
    wrong_gradient_picture,
)

CACHE = ".kit-grades"


# ----------------------------------------------------------------------------
# nbgrader's side: the preprocessor that takes Execute's place
# ----------------------------------------------------------------------------
class KitGrades(NbGraderPreprocessor):
    """Fill each check cell (``check_<part>``) with what its hidden tests print under autograde."""

    results = Unicode("", help="the grade-batch output folder of this assignment (<student>/result.json)").tag(
        config=True)
    course = Unicode("", help="the course's root folder").tag(config=True)

    def preprocess(self, nb, resources):
        student = resources["nbgrader"]["student"]
        assignment = resources["nbgrader"]["assignment"]
        # The notebooks a check cell would grade under autograde (it runs in autograded/<student>/<assignment>/).
        files = submitted_notebooks(Path(self.course) / "autograded" / student / assignment)
        sources = extract_modules(files) if files else {}
        locate = cell_locator(files) if files else None  # once per notebook: it parses the notebook
        result = _stored_result(Path(self.results) / student)
        for cell in nb.cells:
            grade = cell.metadata.get("nbgrader", {})
            part = str(grade.get("grade_id", "")).removeprefix("check_")
            is_check = cell.cell_type == "code" and grade.get("grade") and not grade.get("solution")
            if is_check and part in _rubric_parts():
                cell.outputs = check_cell_outputs(part, result, sources, locate)
        return nb, resources


def _stored_result(folder: Path) -> dict:
    """The batch's result for one student, or ``{"error": ...}`` as ``notebooks.grade_modules`` gives."""
    from .batch import ERROR, load_result

    result = load_result(folder)
    if result is not None:
        return result
    why = (folder / ERROR).read_text(errors="replace").strip()[-300:] if (folder / ERROR).is_file() else "no result"
    return {"error": f"the grader failed: {why}"}


def check_cell_outputs(part: str, result: dict, sources: dict[str, str], locate=None) -> list:
    """The outputs of ``check("<part>")``, ``report("<part>")`` and ``score("<part>")`` under autograde."""
    import nbformat

    from micrograd_feedback.notebook import autograde_notice

    module = _rubric_parts()[part].module
    if module not in sources:  # as notebooks._live_result: nothing to grade, no grader run
        result = nothing_graded()
    text = format_part(part, result, module in sources, locate=locate)
    outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"{autograde_notice(part)}\n{text}\n")]
    svg = wrong_gradient_picture(part, result)
    if svg:
        picture = svg.decode()
        outputs.append(nbformat.v4.new_output("display_data", data={
            "image/svg+xml": picture[picture.find("<svg"):], "text/plain": "<IPython.core.display.SVG object>"}))
    try:
        points = float(result["parts"][part]["score"])
    except (KeyError, TypeError, ValueError):
        points = 0.0
    outputs.append(nbformat.v4.new_output("execute_result", data={"text/plain": repr(points)}, execution_count=1))
    return outputs


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
    """Grade ``submitted/*/<assignment>`` with the kit, then run nbgrader's Autograde with ``KitGrades``."""
    from .batch import grade_batch
    from .rubric import load_rubric

    course = course.resolve()
    cache = course / CACHE / assignment
    staged = stage_sources(course, assignment, students, cache / "sources")
    if not staged:
        print(f"nbgrader-autograde: no submissions of {assignment} under {course / 'submitted'}", file=sys.stderr)
        return 0
    status = grade_batch(cache / "sources", cache / "results", jobs=jobs, rubric=load_rubric())
    if status not in (0, 1):  # 1: some submissions failed; their check cells say so and score 0
        return status
    return run_nbgrader(course, assignment, staged, cache / "results")


def run_nbgrader(course: Path, assignment: str, students: list[str], results: Path) -> int:
    """nbgrader's Autograde converter on ``students``, with the course's config and KitGrades for Execute."""
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import Execute
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    configured = config.Autograde.get("autograde_preprocessors")  # the course's own list, if it has one
    steps = list(configured or Autograde.class_traits()["autograde_preprocessors"].default())
    config.Autograde.autograde_preprocessors = [KitGrades if step is Execute else step for step in steps]
    config.KitGrades.results, config.KitGrades.course = str(results), str(course)
    config.CourseDirectory.root = str(course)
    failed = 0
    previous = Path.cwd()
    os.chdir(course)  # nbgrader resolves the course's relative paths from here, as its CLI does
    try:
        # One converter run for the whole class when every submission is wanted, as `nbgrader autograde A` does.
        every = sorted(p.parent.name for p in (course / "submitted").glob(f"*/{assignment}") if p.is_dir())
        for student in ["*"] if students == every else students:
            coursedir = CourseDirectory(config=config)
            coursedir.assignment_id, coursedir.student_id = assignment, student
            app = Autograde(coursedir=coursedir, config=config)
            app.force = True
            app.create_student = bool(config.Autograde.get("create_student", True))
            try:
                app.start()
            except Exception as error:  # noqa: BLE001 - nbgrader said why in its log; the others go on
                print(f"nbgrader-autograde: {student}: {error}", file=sys.stderr)
                failed += 1
    finally:
        os.chdir(previous)
    print(f"nbgrader-autograde: {len(students) - failed} of {len(students)} {assignment} submissions in the "
          f"gradebook", file=sys.stderr)
    return 1 if failed else 0
