"""Notebook submissions whose nbgrader metadata or IPython commands were tampered with (issue 21).

Each edit takes a released ``value_engine`` notebook with the solution filled in
(an nbformat node) and changes what a hostile student can change.  ``FINDS``
says what the result's ``problems["notebook"]`` must name; ``NBGRADER_FAILS``
which of them real ``nbgrader autograde`` cannot grade at all (it then restores
nothing and keeps no score).
"""

from __future__ import annotations

from collections.abc import Callable


def _by_id(nb, grade_id: str):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def points(nb) -> None:
    _by_id(nb, "check_add").metadata["nbgrader"]["points"] = 100.0


def grade_id_renamed(nb) -> None:
    _by_id(nb, "check_relu").metadata["nbgrader"]["grade_id"] = "check_relu_mine"


def unlocked(nb) -> None:
    _by_id(nb, "check_add").metadata["nbgrader"]["locked"] = False


def solution_flag(nb) -> None:
    _by_id(nb, "check_tanh").metadata["nbgrader"]["solution"] = True


def grade_id_reused(nb) -> None:
    """The student's own solution cell claims to be the add check (worth its points)."""
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    cell.metadata["nbgrader"]["grade_id"] = "check_add"


def checksum(nb) -> None:
    _by_id(nb, "check_mul").metadata["nbgrader"]["checksum"] = "0" * 32


def hidden_cells_deleted_and_reordered(nb) -> None:
    cells = nb.cells
    relu, backward = _by_id(nb, "check_relu"), _by_id(nb, "check_backward")
    i, j = cells.index(relu), cells.index(backward)
    cells[i], cells[j] = backward, relu
    cells.remove(_by_id(nb, "check_exp"))


def ipython_commands(nb) -> None:
    """IPython syntax in the engine cell and cells of its own: a kernel runs them, the grader does not."""
    import nbformat

    cell = next(c for c in nb.cells if c.metadata.get("micrograd", {}).get("module") == "engine"
                and "class Value" in c.source)
    cell.source = ("%load_ext autoreload\n!echo building\n" + cell.source
                   + "\n\ndef _where_am_i():\n    return get_ipython()  # fine until called\n")
    index = nb.cells.index(cell)
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell("%%writefile notes.txt\nhello\n"))
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell("%run -n nothing_here.py"))


EDITS: dict[str, Callable] = {
    "points": points,
    "grade_id_renamed": grade_id_renamed,
    "unlocked": unlocked,
    "solution_flag": solution_flag,
    "grade_id_reused": grade_id_reused,
    "checksum": checksum,
    "hidden_cells_deleted_and_reordered": hidden_cells_deleted_and_reordered,
    "ipython_commands": ipython_commands,
}
# What problems["notebook"] must say, per edit (None: nothing of the course's was changed the kit can see).
FINDS = {
    "points": "check_add's points changed from 6 to 100",
    "grade_id_renamed": "the unknown grade_id 'check_relu_mine'",
    "unlocked": "check_add's nbgrader flags changed (locked=False)",
    "solution_flag": "check_tanh's nbgrader flags changed (solution=True)",
    "grade_id_reused": "2 cells carry the grade_id 'check_add'",
    "checksum": None,  # nbgrader checks checksums itself; hidden check cells never match theirs
    "hidden_cells_deleted_and_reordered": "check_exp of value_engine is missing",
    "ipython_commands": "IPython commands in your code cells are not run by the grader",
}
NBGRADER_FAILS = ("grade_id_renamed", "grade_id_reused", "solution_flag")
