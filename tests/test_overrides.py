"""Overrides with their reason (issue 27): docs/lms.md's overrides.csv and recipe, word for word; applied
to every report and export, never to a result, and still there after a forced re-grade."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from autograder.overrides import OverrideError, read_overrides
from autograder.rubric import load_rubric
from tests.docs_blocks import marked_block, recipe, run_autograder
from tests.test_browser import CHROMIUM, DRIVER, SCREENSHOTS, browser  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("overrides")
    for folder, example in (("ada", "correct"), ("bo", "relu_bug"), ("cy", "correct")):
        shutil.copytree(ROOT / "examples" / "submissions" / example, root / "submissions" / folder)
    (root / "roster.csv").write_text("id,first_name,last_name,email\nada,Ada,L,a@x\nbo,Bo,T,b@x\ncy,Cy,Y,c@x\n")
    (root / "overrides.csv").write_text(marked_block("lms.md", "file: overrides.csv"))
    for command in recipe("lms.md", "lms-overrides"):
        run_autograder(command, root)
    return root


def test_the_overrides_reach_every_report_and_export(course):
    out = course / "grades"
    bo = json.loads((out / "bo" / "result.json").read_text())
    assert bo["parts"]["relu"]["score"] == 0, "the result is what the grader found"
    with open(out / "gradebook.csv", newline="") as handle:
        rows = {r["submission"]: r for r in csv.DictReader(handle)}
    assert float(rows["bo"]["relu"]) == 6 and float(rows["bo"]["total"]) == pytest.approx(bo["score"] + 6)
    assert "Part relu set to 6 of 6 (the grader gave 0) by J. Doe on 2026-12-20" in rows["bo"]["overrides"]
    assert float(rows["cy"]["total"]) == 95 and "regrade request granted" in rows["cy"]["overrides"]
    assert rows["ada"]["overrides"] == ""

    feedback = (out / "bo" / "feedback.md").read_text()
    assert "**Instructor's note:** Part relu set to 6 of 6 (the grader gave 0)" in feedback
    assert f"**Score with the instructor's changes: {bo['score'] + 6:g} / 100**" in feedback
    assert "Total set to 95 of 100 (the grader gave 100)" in (out / "cy" / "feedback.md").read_text()
    assert "Instructor" not in (out / "ada" / "feedback.md").read_text()

    with open(course / "canvas.csv", newline="") as handle:
        header, _, *students = list(csv.reader(handle))
    canvas = {row[0]: dict(zip(header, row, strict=True)) for row in students}
    assert canvas["T, Bo"]["micrograd: relu"] == "6.00"
    assert canvas["T, Bo"]["micrograd"] == f"{bo['score'] + 6:.2f}" and canvas["Y, Cy"]["micrograd"] == "95.00"


def test_a_forced_regrade_keeps_them(course):
    run_autograder("python -m autograder grade-batch submissions --out grades --roster roster.csv --overrides overrides.csv "
        "--force", course)
    feedback = (course / "grades" / "bo" / "feedback.md").read_text()
    assert feedback.count("**Instructor's note:**") == 1 and "Part relu set to 6 of 6" in feedback


@pytest.mark.parametrize("line, says", [("bo,softmax,3,why,me,now", "no part 'softmax'"),
                                        ("bo,relu,7,why,me,now", "relu is out of 6"),
                                        ("bo,relu,6,,me,now", "give the reason"),
                                        ("bo,total,lots,why,me,now", "is not a number")])
def test_a_wrong_override_is_refused_with_its_line(tmp_path, line, says):
    (tmp_path / "o.csv").write_text(f"student,part,points,reason,by,when\n{line}\n")
    with pytest.raises(OverrideError, match=says):
        read_overrides(tmp_path / "o.csv", load_rubric())


@pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="no headless browser: install chromium and chromium-driver")
def test_the_class_report_shows_the_overridden_score_and_why(course, browser):  # noqa: F811 - the fixture
    bo = json.loads((course / "grades" / "bo" / "result.json").read_text())
    browser.get((course / "grades" / "class-report.html").as_uri())
    rows = browser.execute_script("return [...document.getElementById('students-table').tBodies[0].rows]"
                                  ".map(r => [...r.cells].map(c => c.innerText))")
    seen = {row[0].split(" (")[-1].rstrip(")"): row for row in rows}
    assert seen["bo"][1] == f"{bo['score'] + 6:g}" and seen["cy"][1] == "95"
    assert "Instructor: Part relu set to 6 of 6 (the grader gave 0)" in seen["bo"][-1]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "class-report-overrides.png"))
