"""The course's cells as released say nothing; each kind of tampering is named (autograder/intake/notebook_integrity.py);
IPython command lines keep the Python around them gradeable (micrograd_feedback/cells.py)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from autograder.intake.notebook_integrity import summary
from autograder.rubric import load_rubric
from micrograd_feedback.cells import without_ipython_commands
from tests.hostile.notebook_tampering import EDITS, FINDS

ROOT = Path(__file__).resolve().parent.parent
RUBRIC = load_rubric()


@pytest.mark.parametrize("assignment", sorted(RUBRIC.assignments))
def test_the_course_notebooks_as_written_have_no_findings(assignment):
    document = (ROOT / "assignments" / "source" / assignment / f"{assignment}.ipynb").read_bytes()
    assert summary([document], RUBRIC) == ""


@pytest.mark.parametrize("edit", [e for e in EDITS if FINDS[e]])
def test_each_tampering_is_named(edit):
    nb = nbformat.read(ROOT / "assignments" / "source" / "value_engine" / "value_engine.ipynb", as_version=4)
    EDITS[edit](nb)
    assert FINDS[edit] in summary([nbformat.writes(nb).encode()], RUBRIC)


def test_ipython_lines_become_pass_only_where_python_would_not_parse():
    python = 'x = """\n%not a magic\n"""\n'
    assert without_ipython_commands(python) == python
    cell = "%%writefile engine.py\nclass Value:\n    def f(self):\n        !echo hi\n"
    assert without_ipython_commands(cell) == (
        "pass  # IPython, not run by the grader: %%writefile engine.py\nclass Value:\n    def f(self):\n"
        "        pass  # IPython, not run by the grader: !echo hi\n")
    compile(without_ipython_commands(cell), "cell", "exec")
