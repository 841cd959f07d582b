"""Grades an LMS imports (issue 27): ``python -m autograder export`` from a real ``grade-batch``, keyed on
the roster, read back with ``csv`` as Canvas's and Moodle's importers read it.

The class: ada (correct), bob (the relu bug), cy (on the roster, handed in nothing) and a folder
nobody on the roster owns.  (The same from nbgrader's gradebook: tests/test_nbgrader_e2e.py.)
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs_blocks import recipe, run_autograder

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
ROSTER = """id,first_name,last_name,email,lms_user_id,sis_user_id,sis_login_id,section
ada,Ada,Lovelace,ada@example.edu,101,S-1,ada.l,Lab 1
bob,Bob,=Tables,bob@example.edu,102,S-2,bob.t,Lab 2
cy,Cy,Young,cy@example.edu,103,S-3,cy.y,Lab 1
"""


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> dict:
    """docs/lms.md's recipe, word for word, in a folder with ``submissions/`` and ``roster.csv``."""
    root = tmp_path_factory.mktemp("lms")
    for folder, example in (("ada", "correct"), ("bob", "relu_bug"), ("zed-not-enrolled", "truediv_bug")):
        shutil.copytree(ROOT / "examples" / "submissions" / example, root / "submissions" / folder)
    (root / "roster.csv").write_text(ROSTER)
    for command in recipe("lms.md", "lms-batch"):
        run_autograder(command, root)
    with open(root / "canvas.csv", newline="") as handle:
        canvas = list(csv.reader(handle))
    results = {name: json.loads((root / "grades" / name / "result.json").read_text()) for name in ("ada", "bob")}
    return {"root": root, "out": root / "grades", "results": results, "canvas": canvas}


def test_the_recipe_gives_canvas_a_row_per_student(batch):
    header, possible, *rows = batch["canvas"]
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "micrograd"]
    assert possible == ["Points Possible", "", "", "", "", "100.00"]
    assert [(r[0], r[5]) for r in rows] == [("Lovelace, Ada", "100.00"),
                                          ("'=Tables, Bob", two_decimals(batch["results"]["bob"]["score"])),
                                          ("Young, Cy", "")]


def export(batch: dict, fmt: str, *extra: str) -> tuple[list[list[str]], str]:
    output = batch["root"] / f"{fmt}.csv"
    done = subprocess.run([sys.executable, "-m", "autograder", "export", str(batch["out"]), "--format", fmt,
                           "--roster", str(batch["root"] / "roster.csv"), "--output", str(output), *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with open(output, newline="") as handle:
        return list(csv.reader(handle)), done.stderr


def two_decimals(value: float) -> str:
    return f"{round(value, 2):.2f}"


def test_canvas_gradebook_csv_has_canvas_columns_one_row_per_student(batch):
    from autograder.rubric import load_rubric

    rows, said = export(batch, "canvas", "--parts", "--name", "Micrograd (4711)")
    parts = list(load_rubric().parts)
    header, possible, *students = rows
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Micrograd (4711)",
                      *(f"Micrograd (4711): {p}" for p in parts)]
    assert possible[:6] == ["Points Possible", "", "", "", "", "100.00"]
    assert [r[:5] for r in students] == [["Lovelace, Ada", "101", "S-1", "ada.l", "Lab 1"],
                                        ["'=Tables, Bob", "102", "S-2", "bob.t", "Lab 2"],
                                        ["Young, Cy", "103", "S-3", "cy.y", "Lab 1"]]
    ada, bob, cy = students
    assert ada[5] == "100.00"
    assert bob[5] == two_decimals(batch["results"]["bob"]["score"]) and bob[5] != "100.00"
    by_part = dict(zip(parts, bob[6:], strict=True))
    assert by_part["relu"] == "0.00" and by_part["add"] == two_decimals(batch["results"]["bob"]["parts"]["add"]["score"])
    assert cy[5:] == [""] * (1 + len(parts)), "no submission is no grade, never a 0"
    assert all("zed" not in cell for row in rows for cell in row)
    assert "not in the roster, so not in the file: zed-not-enrolled" in said
    assert "3 students, 2 with a grade, 1 without" in said


def test_moodle_grade_import_csv_maps_by_email_or_id_number(batch):
    rows, said = export(batch, "moodle")
    header, *students = rows
    assert header == ["First name", "Last name", "ID number", "Email address", "micrograd"]
    assert students == [["Ada", "Lovelace", "S-1", "ada@example.edu", "100.00"],
                        ["Bob", "'=Tables", "S-2", "bob@example.edu", two_decimals(batch["results"]["bob"]["score"])],
                        ["Cy", "Young", "S-3", "cy@example.edu", ""]]
    assert "zed-not-enrolled" in said


def test_a_roster_without_an_id_column_is_refused(batch, tmp_path):
    (tmp_path / "roster.csv").write_text("name,email\nAda,ada@example.edu\n")
    done = subprocess.run([sys.executable, "-m", "autograder", "export", str(batch["out"]), "--format", "canvas",
                           "--roster", str(tmp_path / "roster.csv"), "--output", str(tmp_path / "x.csv")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "needs an `id` column" in done.stderr
    assert not (tmp_path / "x.csv").exists()
