"""What a student changed in a notebook that is the course's, not theirs: said, never scored.

A notebook submission carries nbgrader's metadata: each check cell's
``grade_id`` (``check_<part>``), ``points`` and ``locked``/``grade``/``solution``
flags.  A student can edit all of it.  ``nbgrader autograde`` restores what it
can from its gradebook and fails on the rest (a renamed or reused ``grade_id``);
the kit's points never come from the notebook's cells, only from the rubric and
the hidden checks, so tampering cannot raise a score.  It is still worth an
instructor's eye, and it explains nbgrader's cryptic failures (``KeyError:
'grade_id'``), so ``findings`` names each change against the rubric:

- a check cell's points, or its flags, not as released;
- a ``grade_id`` carried by two cells (a student cell posing as a check cell);
- a check cell of the assignment missing (deleted or renamed), an unknown one,
  or check cells out of the rubric's order;
- IPython commands (``%run``, ``%%writefile``, ``!pip``, ``get_ipython()``) in
  the student's code cells: the grader imports the cells' code as Python, so
  they are not run there.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from ..rubric import Rubric

CHECK_PREFIX = "check_"
MAX_FINDINGS = 8


def findings(documents: Sequence[bytes], rubric: Rubric) -> tuple[list[str], list[str]]:
    """(changes to the course's cells, IPython commands in the student's cells), as short sentences."""
    changed: list[str] = []
    commands: list[str] = []
    for document in documents:
        cells = _cells(document)
        if cells is None:
            continue
        changed += _metadata_changes(cells, rubric)
        commands += _ipython_commands(cells)
    return changed[:MAX_FINDINGS], commands[:MAX_FINDINGS]


def summary(documents: Sequence[bytes], rubric: Rubric) -> str:
    """One problem note for the result, or "" when nothing was changed."""
    changed, commands = findings(documents, rubric)
    sentences = []
    if changed:
        sentences.append("The notebook's grading cells were changed: " + "; ".join(changed) + ". Your points come "
                         "from the course's own checks, not from these cells, so this changes none of them")
    if commands:
        sentences.append("IPython commands in your code cells are not run by the grader, which imports your "
                         "cells' code as Python: " + "; ".join(commands))
    return ". ".join(sentences)


def _cells(document: bytes) -> list[dict] | None:
    try:
        data = json.loads(document.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError, MemoryError):
        return None
    cells = data.get("cells") if isinstance(data, dict) else None
    return [c for c in cells if isinstance(c, dict)] if isinstance(cells, list) else None


def _nbgrader(cell: dict) -> dict:
    metadata = cell.get("metadata")
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return meta if isinstance(meta, dict) else {}


def _metadata_changes(cells: list[dict], rubric: Rubric) -> list[str]:
    found = []
    ids = Counter(str(_nbgrader(c).get("grade_id")) for c in cells if "grade_id" in _nbgrader(c))
    for grade_id, count in sorted(ids.items()):
        if count > 1:
            found.append(f"{count} cells carry the grade_id {grade_id!r} (one of them is not the course's)")
    checks = [(str(_nbgrader(c)["grade_id"]), _nbgrader(c), c) for c in cells
              if str(_nbgrader(c).get("grade_id", "")).startswith(CHECK_PREFIX)]
    present: list[str] = []
    for grade_id, meta, cell in checks:
        part = rubric.parts.get(grade_id.removeprefix(CHECK_PREFIX))
        if part is None:
            found.append(f"a cell carries the unknown grade_id {grade_id!r}")
            continue
        if part.id in present:
            continue
        present.append(part.id)
        if ids[grade_id] > 1:
            continue  # which of them is the course's is not for this module to guess: said above
        points = meta.get("points")
        if not isinstance(points, (int, float)) or isinstance(points, bool) or float(points) != part.points:
            found.append(f"{grade_id}'s points changed from {part.points:g} to {points!r}")
        flags = {"grade": True, "locked": True, "solution": False}
        wrong = [f"{flag}={meta.get(flag)!r}" for flag, value in flags.items() if meta.get(flag) is not value]
        if wrong or cell.get("cell_type") != "code":
            found.append(f"{grade_id}'s nbgrader flags changed ({', '.join(wrong) or 'not a code cell'})")
    for name, modules in rubric.assignments.items():
        expected = [p.id for p in rubric.parts.values() if p.module in modules]
        if not set(expected) & set(present):
            continue  # not this assignment's notebook
        missing = [p for p in expected if p not in present]
        if missing:
            found.append(f"the check cell{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(CHECK_PREFIX + p for p in missing)} of {name} "
                         f"{'are' if len(missing) > 1 else 'is'} missing (deleted, or its grade_id renamed)")
        mine = [p for p in present if p in expected]
        if mine != [p for p in expected if p in mine]:
            found.append(f"the check cells of {name} are not in the released order")
    return found


def _ipython_commands(cells: list[dict]) -> list[str]:
    found = []
    ordinal = 0
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        ordinal += 1
        meta = _nbgrader(cell)
        if meta.get("grade") and not meta.get("solution"):
            continue  # the course's own check cells
        source = cell.get("source", "")
        source = "".join(s for s in source if isinstance(s, str)) if isinstance(source, list) else source
        if not isinstance(source, str):
            continue
        for line in source.splitlines():
            stripped = line.strip()
            if stripped.startswith(("%", "!")) or "get_ipython(" in stripped:
                found.append(f"In[{ordinal}]: `{stripped[:60]}`")
                break
    return found


def assignment_of(documents: Sequence[bytes], rubric: Rubric) -> str | None:
    """The one assignment whose check cells these notebooks hold (None: none, or several)."""
    parts = {str(_nbgrader(c).get("grade_id", "")).removeprefix(CHECK_PREFIX)
             for document in documents for c in (_cells(document) or [])}
    found = {name for name, modules in rubric.assignments.items()
             if any(p.module in modules for part_id, p in rubric.parts.items() if part_id in parts)}
    return found.pop() if len(found) == 1 else None
