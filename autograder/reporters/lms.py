"""Grades an LMS imports as they are: Canvas's gradebook CSV and Moodle's grade import CSV.

Read from a ``grade-batch`` output folder (``<id>/result.json``) or from nbgrader's gradebook
(``gradebook.db`` of the course), and keyed on the roster (``intake/roster.py``): one row per
student of the roster, in its order; a student without a graded submission gets an empty cell (no
grade, never a 0 the LMS would take); a graded folder that is not in the roster is returned in
``unknown`` for the caller to list, and never written (an LMS aborts an import on a row it cannot
match).  Points are rounded to two decimals; no cell starts a spreadsheet formula.

The formats, from the LMSs' own importers:

- Canvas (``GradebookImporter``): a header ``Student, ID, SIS User ID, SIS Login ID, Section``, then one
  column per assignment (``Title`` or ``Title (canvas id)`` to match an existing one; a new title creates
  an assignment), then a ``Points Possible`` row.  Canvas matches a row by ``ID`` (the Canvas user id:
  the roster's ``lms_user_id``), else ``SIS User ID``, else ``SIS Login ID``, else the name ``Last,
  First``.  An empty cell is no grade.
- Moodle (grade import, CSV file): a header row, one row per user; the teacher maps one column to the
  user (``Email address`` to email, or ``ID number`` to idnumber) and each grade column to a grade
  item.  An empty cell is no grade.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from micrograd_feedback.untrusted import csv_cell

from ..batch.store import LATE, OVERRIDES
from ..intake.roster import Student
from ..late import Late
from ..rubric import Rubric


@dataclass(frozen=True)
class Grade:
    score: float  # after the late penalty, if any: the grade of record
    parts: dict[str, float] = field(default_factory=dict)  # part id -> points
    late_penalty: float | None = None  # points taken off the raw score (None: no late policy)


@dataclass(frozen=True)
class AssignmentGrades:
    """One assignment's column(s): its name in the LMS, its points, every graded student's grade."""

    name: str
    max_score: float
    parts: dict[str, float]  # part id -> its points, in the rubric's order
    grades: dict[str, Grade]  # roster id -> grade; a student without a graded submission is absent
    unknown: tuple[str, ...] = ()  # graded, but not in the roster


def from_batch(out: Path, rubric: Rubric, roster: dict[str, Student], name: str) -> AssignmentGrades:
    """A ``grade-batch`` output folder's results (the folder names are the roster's ids)."""
    grades, unknown = {}, []
    for path in sorted(out.glob("*/result.json")):
        try:
            result = json.loads(path.read_text())
            grade = Grade(float(result["score"]), {p: float(v["score"]) for p, v in result["parts"].items()})
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a graded submission (the batch lists why in its own reports)
        try:  # grade-batch --overrides wrote it: the instructor's points
            adjusted = json.loads((path.parent / OVERRIDES).read_text())
            grade = Grade(float(adjusted["score"]), {p: float(v) for p, v in adjusted["parts"].items()})
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass
        try:  # grade-batch --late wrote it, from the instructor's times (never the submission's)
            late = Late(**json.loads((path.parent / LATE).read_text()))
            grade = Grade(late.score, grade.parts, float(late.penalty))
        except (OSError, ValueError, KeyError, TypeError):
            pass
        if path.parent.name in roster:
            grades[path.parent.name] = grade
        else:
            unknown.append(path.parent.name)
    return AssignmentGrades(name, rubric.total, {p.id: p.points for p in rubric.parts.values()}, grades,
                            tuple(unknown))


def from_gradebook(course: Path, rubric: Rubric, roster: dict[str, Student]) -> list[AssignmentGrades]:
    """nbgrader's gradebook, one column per assignment: the score after nbgrader's late penalty, with
    formgrader's manual grades; a part is the check cell ``check_<part>``.  A submission nbgrader could
    not autograde (no ``autograded/<student>/<assignment>/``) has no grade, as in ``make export``."""
    from nbgrader.api import Gradebook, MissingEntry

    found = []
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for assignment in gradebook.assignments:
            if assignment.name not in rubric.assignments:
                continue
            parts = rubric.for_assignment(assignment.name).parts
            grades, unknown = {}, []
            for student in gradebook.students:
                try:
                    submission = gradebook.find_submission(assignment.name, student.id)
                except MissingEntry:
                    continue
                if not (course / "autograded" / student.id / assignment.name).is_dir():
                    continue
                by_part = {g.name.removeprefix("check_"): float(g.score) for nb in submission.notebooks
                           for g in nb.grades if g.name.removeprefix("check_") in parts}
                penalty = submission.late_submission_penalty or 0.0
                grade = Grade(round(max(0.0, float(submission.score) - penalty), 2), by_part, penalty)
                if student.id in roster:
                    grades[student.id] = grade
                else:
                    unknown.append(student.id)
            found.append(AssignmentGrades(assignment.name, float(assignment.max_score),
                                          {p: parts[p].points for p in parts}, grades, tuple(unknown)))
    return found


def points(value: float | None) -> str:
    """Two decimals, as Canvas exports them; empty for no grade."""
    return "" if value is None else f"{value:.2f}"


@dataclass(frozen=True)
class Column:
    header: str
    possible: float
    cells: dict[str, str]  # roster id -> points; absent: no grade


def columns(assignments: list[AssignmentGrades], with_parts: bool) -> list[Column]:
    """Every grade column: each assignment's total, then (``with_parts``) one per part."""
    found = []
    for a in assignments:
        found.append(Column(a.name, a.max_score, {sid: points(g.score) for sid, g in a.grades.items()}))
        if with_parts:
            found += [Column(f"{a.name}: {part}", most, {sid: points(g.parts.get(part)) for sid, g in a.grades.items()})
                      for part, most in a.parts.items()]
            if any(g.late_penalty is not None for g in a.grades.values()):
                found.append(Column(f"{a.name}: late penalty", 0.0, {sid: points(g.late_penalty)
                                                                     for sid, g in a.grades.items()}))
    return found


def canvas_csv(assignments: list[AssignmentGrades], roster: dict[str, Student], with_parts: bool = False) -> str:
    grade_columns = columns(assignments, with_parts)
    rows: list[list[object]] = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                                 *(c.header for c in grade_columns)],
                                ["Points Possible", "", "", "", "", *(points(c.possible) for c in grade_columns)]]
    for sid, student in roster.items():
        name = ", ".join(p for p in (student.last_name, student.first_name) if p) or sid
        rows.append([name, student.extra.get("lms_user_id", ""), student.extra.get("sis_user_id", ""),
                     student.extra.get("sis_login_id", ""), student.extra.get("section", ""),
                     *(c.cells.get(sid, "") for c in grade_columns)])
    return _csv(rows)


def moodle_csv(assignments: list[AssignmentGrades], roster: dict[str, Student], with_parts: bool = False) -> str:
    grade_columns = columns(assignments, with_parts)
    rows: list[list[object]] = [["First name", "Last name", "ID number", "Email address",
                                 *(c.header for c in grade_columns)]]
    for sid, student in roster.items():
        rows.append([student.first_name, student.last_name, student.extra.get("sis_user_id", ""), student.email,
                     *(c.cells.get(sid, "") for c in grade_columns)])
    return _csv(rows)


FORMATS = {"canvas": canvas_csv, "moodle": moodle_csv}


def _csv(rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return buffer.getvalue()
