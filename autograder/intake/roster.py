"""The class list: who the students are, keyed by the id their submission folder is named by.

A roster is a CSV with at least the column ``id`` (the student's folder name in
``grade-batch``'s DIR and nbgrader's ``submitted/``), and ``first_name``,
``last_name``, ``email``; any other column (``lms_user_id``, ``sis_user_id``,
``sis_login_id``, ``section``, ...) is kept as it is for the exports.  The same
file feeds nbgrader (``make roster FILE=...`` runs ``nbgrader db student
import``) and ``grade-batch --roster``, whose reports then name each student.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from micrograd_feedback.untrusted import shown


@dataclass(frozen=True)
class Student:
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # the roster's other columns

    @property
    def display(self) -> str:
        """"Last, First (id)", or the id alone when the roster has no name for it."""
        name = ", ".join(p for p in (self.last_name, self.first_name) if p)
        return shown(f"{name} ({self.id})" if name else self.id)


class RosterError(ValueError):
    """The roster cannot be used (the message says why)."""


def read_roster(path: str | Path) -> dict[str, Student]:
    """id -> Student, in the file's order."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [c.strip() for c in reader.fieldnames or []]
            if "id" not in columns:
                raise RosterError(f"{path}: a roster needs an `id` column (found: {', '.join(columns) or 'none'})")
            students: dict[str, Student] = {}
            for row in reader:
                row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
                if not row.get("id"):
                    continue
                if row["id"] in students:
                    raise RosterError(f"{path}: the id {row['id']!r} is there twice")
                known = {"id", "first_name", "last_name", "email"}
                students[row["id"]] = Student(row["id"], row.get("first_name", ""), row.get("last_name", ""),
                                              row.get("email", ""), {k: v for k, v in row.items() if k not in known})
    except OSError as error:
        raise RosterError(f"{path}: {error.strerror}") from None
    return students
