"""Re-grading keeps a record (issue 27): each earlier result is kept with what it was graded from, and the
student's feedback, the gradebook, the summary and the class report say what changed and why."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
# grade-batch with relu worth 8 points instead of 6 (an instructor's rubric edit), in-process like the CLI
WITH_RELU_AT_8 = """
import dataclasses, sys
from autograder.batch import grade_batch
from autograder.rubric import load_rubric
rubric = load_rubric()
parts = dict(rubric.parts, relu=dataclasses.replace(rubric.parts["relu"], points=8.0))
rubric = dataclasses.replace(rubric, parts=parts, total=rubric.total + 2)
sys.exit(grade_batch(sys.argv[1], sys.argv[2], rubric=rubric, force="--force" in sys.argv))
"""


def batch(root: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "autograder", "grade-batch", str(root / "class"), "--out",
                           str(root / "out")], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]


def test_a_regrade_says_what_changed_and_why(tmp_path):
    examples = ROOT / "examples" / "submissions"
    shutil.copytree(examples / "correct", tmp_path / "class" / "ada")
    shutil.copytree(examples / "relu_bug", tmp_path / "class" / "bo")
    out = tmp_path / "out"
    batch(tmp_path)
    first = json.loads((out / "bo" / "result.json").read_text())
    assert not (out / "bo" / "history").exists() and "Since the last grading" not in (out / "bo" / "feedback.md").read_text()

    # bo fixes relu and hands in again: only bo is graded again, and told why and what moved
    shutil.rmtree(tmp_path / "class" / "bo")
    shutil.copytree(examples / "correct", tmp_path / "class" / "bo")
    batch(tmp_path)
    kept = json.loads((out / "bo" / "history" / "0001" / "result.json").read_text())
    assert kept == first, "the earlier result is kept as it was"
    feedback = (out / "bo" / "feedback.md").read_text()
    line = next(p for p in feedback.split("\n\n") if p.startswith("**Since the last grading:**"))
    assert "graded again (your files changed)" in line and "relu 0 → 6" in line
    assert f"total {first['score']:g} → 100" in line
    assert not (out / "ada" / "history").exists()
    with open(out / "gradebook.csv", newline="") as handle:
        rows = {r["submission"]: r for r in csv.DictReader(handle)}
    assert "your files changed" in rows["bo"]["changes"] and rows["ada"]["changes"] == ""
    assert "## Graded again" in (out / "summary.md").read_text()
    assert "Since the last grading: graded again (your files changed)" in (out / "class-report.html").read_text()

    # the instructor makes relu worth 8: everyone is graded again, told the rubric changed, part by part
    done = subprocess.run([sys.executable, "-c", WITH_RELU_AT_8, str(tmp_path / "class"), str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    for name in ("ada", "bo"):
        said = (out / name / "feedback.md").read_text().replace("\\:", ":")  # Markdown's escaped colon
        assert "graded again (rubric changed: relu 6 → 8 points)" in said and "relu 6 → 8" in said, said
    assert len(list((out / "bo" / "history").iterdir())) == 2

    # the same again, forced: nothing moved, so nothing is said
    done = subprocess.run([sys.executable, "-c", WITH_RELU_AT_8, str(tmp_path / "class"), str(out), "--force"],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(list((out / "ada" / "history").iterdir())) == 2
    assert "Since the last grading" not in (out / "ada" / "feedback.md").read_text()
