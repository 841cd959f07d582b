"""Instructors' overrides: a part's points, or the total, set by hand, with who, when and why.

``overrides.csv`` (``grade-batch --overrides``)::

    student,part,points,reason,by,when
    bo,relu,6,"used max(0, x): correct, the checks' kink case is ambiguous",J. Doe,2026-12-20T10:00:00Z
    cy,total,95,regrade request granted,J. Doe,2026-12-21

A result is never changed (it is what the grader found, and re-grading writes it again): the
overrides are applied to a copy when the batch writes its reports, so they survive every re-grade,
and every report shows what they changed and why: the gradebook's ``overrides`` column, the class
report, the student's feedback ("**Instructor's note:**"), the LMS exports.  A part's override
replaces its points; ``total`` sets the total, kept as an adjustment beside the parts.  A later line
for the same student and part wins.
"""

from __future__ import annotations

import copy
import csv
from dataclasses import dataclass
from pathlib import Path

from .rubric import Rubric

ADJUSTMENT = "adjustment"  # the adjusted copy's pseudo-part carrying a total override


class OverrideError(ValueError):
    """The overrides file cannot be used (the message says why)."""


@dataclass(frozen=True)
class Override:
    student: str
    part: str  # a part id of the rubric, or "total"
    points: float
    reason: str
    by: str
    when: str

    def note(self, was: float, most: float) -> str:
        what = "Total" if self.part == "total" else f"Part {self.part}"
        return (f"{what} set to {self.points:g} of {most:g} (the grader gave {was:g}) by {self.by or 'the instructor'}"
                f"{f' on {self.when}' if self.when else ''}: {self.reason}")


def read_overrides(path: Path, rubric: Rubric) -> dict[str, list[Override]]:
    """student -> their overrides, in the file's order; refuses an unknown part or points out of range."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise OverrideError(f"{path}: {error.strerror}") from None
    found: dict[str, list[Override]] = {}
    for line, row in enumerate(rows, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        if not {"student", "part", "points", "reason"} <= set(row):
            raise OverrideError(f"{path}: the columns are student,part,points,reason,by,when")
        part = row["part"]
        most = rubric.total if part == "total" else rubric.parts[part].points if part in rubric.parts else None
        if most is None:
            raise OverrideError(f"{path}, line {line}: no part {part!r} in the rubric (or `total`)")
        try:
            points = float(row["points"])
        except ValueError:
            raise OverrideError(f"{path}, line {line}: points {row['points']!r} is not a number") from None
        if not 0 <= points <= most:
            raise OverrideError(f"{path}, line {line}: {part} is out of {most:g}, not {points:g}")
        if not row["reason"]:
            raise OverrideError(f"{path}, line {line}: give the reason (the student sees it)")
        found.setdefault(row["student"], []).append(
            Override(row["student"], part, points, row["reason"], row.get("by", ""), row.get("when", "")))
    return found


def apply(result: dict, overrides: list[Override]) -> tuple[dict, list[str]]:
    """A copy of ``result`` with the overrides applied (``score`` still the sum of its parts), and one note
    per override, for the student's feedback and the reports."""
    adjusted = copy.deepcopy(result)
    parts = adjusted["parts"]
    last = {o.part: o for o in overrides}  # a later line wins
    notes = []
    for part, override in last.items():
        if part == "total" or part not in parts:
            continue
        notes.append(override.note(parts[part]["score"], parts[part]["max_score"]))
        parts[part]["score"] = override.points
    if "total" in last:
        override = last["total"]
        before = sum(p["score"] for p in parts.values())
        notes.append(override.note(before, adjusted.get("max_score", before)))
        parts[ADJUSTMENT] = {"title": "Instructor's adjustment", "score": round(override.points - before, 4),
                             "max_score": 0.0, "visibility": "visible"}
    adjusted["score"] = round(sum(p["score"] for p in parts.values()), 4)
    adjusted["overrides"] = notes
    return adjusted, notes
