"""``nbgrader export`` for the course: nbgrader's CSV columns, and a grade only where there is one.

nbgrader's ``CsvExportPlugin`` writes 0 for a student it could not autograde (a
notebook whose course cells were tampered with, a kernel that died: nbgrader
removes ``autograded/<student>/<assignment>/`` and keeps the submission's
empty record) and for a student with no submission.  A zero there is a grade
the LMS would take.  This plugin writes the same columns, then ``status``:
``graded``, ``no submission`` or ``not autograded: <nbgrader's reason>``, with
the score columns empty unless graded; points are rounded to two decimals and
no cell starts a spreadsheet formula.  ``assignments/nbgrader_config.py`` selects it.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins.export import CsvExportPlugin

from micrograd_feedback.untrusted import csv_cell

from .autograde import CACHE, NOT_AUTOGRADED

COLUMNS = ("assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
           "raw_score", "late_submission_penalty", "score", "max_score", "status")


class KitCsvExport(CsvExportPlugin):
    """nbgrader's CSV, without a zero for a grade that does not exist."""

    def export(self, gradebook: Gradebook) -> None:
        coursedir = self.parent.coursedir
        root = Path(coursedir.root)
        with open(self.to or "grades.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            for assignment in gradebook.assignments:
                if self.assignment and assignment.name not in map(str, self.assignment):
                    continue
                reasons = _not_autograded(root, assignment.name)
                for student in gradebook.students:
                    if self.student and student.id not in map(str, self.student):
                        continue
                    row = {"assignment": assignment.name, "duedate": assignment.duedate, "student_id": student.id,
                           "last_name": student.last_name, "first_name": student.first_name,
                           "email": student.email, "max_score": _points(assignment.max_score)}
                    try:
                        submission = gradebook.find_submission(assignment.name, student.id)
                    except MissingEntry:
                        row["status"] = "no submission"
                    else:
                        row["timestamp"] = submission.timestamp
                        autograded = Path(coursedir.format_path(coursedir.autograded_directory, student.id,
                                                                assignment.name))
                        if not autograded.is_dir():
                            why = reasons.get(student.id, "nbgrader could not autograde it (see its log)")
                            row["status"] = f"not autograded: {why}"
                        else:
                            penalty = submission.late_submission_penalty or 0.0
                            row.update(raw_score=_points(submission.score), late_submission_penalty=_points(penalty),
                                       score=_points(max(0.0, submission.score - penalty)), status="graded")
                    writer.writerow([csv_cell("" if row.get(key) is None else str(row.get(key, "")))
                                     for key in COLUMNS])


def _points(value: float | None) -> str:
    return "" if value is None else f"{float(value):.2f}".rstrip("0").rstrip(".")


def _not_autograded(course: Path, assignment: str) -> dict[str, str]:
    try:
        known = json.loads((course / CACHE / assignment / NOT_AUTOGRADED).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in known.items()} if isinstance(known, dict) else {}
