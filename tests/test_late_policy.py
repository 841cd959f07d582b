"""The late policy (issue 27): each rule, an extension, the cut-off; nbgrader's plugin wired by the course's
config; and ``grade-batch --late --times``, where the penalty shows apart from the raw score in the
gradebook, the summary, the class report (in Chromium), each student's feedback and the LMS exports."""

from __future__ import annotations

import csv
import datetime
import json
import shutil
from pathlib import Path

import pytest

from autograder.late import LatePolicy, PolicyError, load_policy, read_times
from tests.docs_blocks import marked_block, recipe, run_autograder
from tests.test_browser import CHROMIUM, DRIVER, SCREENSHOTS, browser  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parent.parent
DAY, HOUR = 86_400.0, 3_600.0


def policy(text: str, tmp_path: Path) -> LatePolicy:
    (tmp_path / "late.toml").write_text(text)
    return load_policy(tmp_path / "late.toml")


def test_percent_per_started_day_down_to_the_floor(tmp_path):
    rule = policy('rule = "percent"\npercent = 10\nper = "day"\nfloor = 50\n', tmp_path)
    assert rule.penalty("ada", 80.0, 0) == (0.0, 0.0)
    assert rule.penalty("ada", 80.0, -5 * DAY) == (0.0, 0.0)
    assert rule.penalty("ada", 80.0, 1)[1] == 8.0, "a second late is a started day"
    assert rule.penalty("ada", 80.0, DAY + 1)[1] == 16.0
    assert rule.penalty("ada", 80.0, 30 * DAY)[1] == 40.0, "never below the floor: half of the raw score"


def test_percent_per_hour_and_zero_after_the_cut_off(tmp_path):
    rule = policy('rule = "percent"\npercent = 1\nper = "hour"\nzero_after_days = 3\n', tmp_path)
    assert rule.penalty("bo", 100.0, 2.5 * HOUR)[1] == 3.0
    assert rule.penalty("bo", 100.0, 3 * DAY)[1] == 72.0
    assert rule.penalty("bo", 100.0, 3 * DAY + 1)[1] == 100.0


def test_zero_and_none(tmp_path):
    assert policy('rule = "zero"\n', tmp_path).penalty("cy", 57.09, 60)[1] == 57.09
    assert policy('rule = "none"\n', tmp_path).penalty("cy", 57.09, 9 * DAY)[1] == 0.0


def test_an_extension_moves_the_students_deadline(tmp_path):
    rule = policy('rule = "zero"\n[extensions]\nada = 2\nbo = 0.5\n', tmp_path)
    assert rule.penalty("ada", 90.0, 1.9 * DAY) == (0.0, 0.0)
    assert rule.penalty("ada", 90.0, 2 * DAY + 60) == (60.0, 90.0)
    assert rule.penalty("bo", 90.0, 13 * HOUR)[1] == 90.0
    assert rule.penalty("cy", 90.0, 60)[1] == 90.0, "no extension for the others"


@pytest.mark.parametrize("text, says", [('rule = "half"\n', "rule must be"), ('per = "week"\n', "per must be"),
                                        ('deadline = 2026-12-18T23:59:00\n', "time zone"),
                                        ('[extensions]\nada = "two days"\n', "number of days")])
def test_a_policy_that_cannot_be_applied_says_why(tmp_path, text, says):
    with pytest.raises(PolicyError, match=says):
        policy(text, tmp_path)


def test_times_need_a_time_zone(tmp_path):
    (tmp_path / "times.csv").write_text("id,submitted\nada,2026-12-18T10:00:00Z\nbo,2026-12-19 08:00:00+01:00\n")
    times = read_times(tmp_path / "times.csv")
    assert times["bo"] - times["ada"] == datetime.timedelta(hours=21)
    (tmp_path / "times.csv").write_text("id,submitted\nada,2026-12-18T10:00:00\n")
    with pytest.raises(PolicyError, match="time zone"):
        read_times(tmp_path / "times.csv")


def test_nbgrader_asks_the_courses_plugin(tmp_path):
    """The course's nbgrader_config.py makes nbgrader's AssignLatePenalties use late.toml beside it."""
    from nbgrader.preprocessors import AssignLatePenalties
    from traitlets.config.loader import PyFileConfigLoader

    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "assignments" / "nbgrader_config.py", course)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    assigner = AssignLatePenalties(config=config)
    assigner.init_plugin()
    plugin = assigner.plugin_inst
    assert type(plugin).__name__ == "KitLatePenalty"
    assert plugin.late_submission_penalty("ada", 40.0, DAY) is None, "no late.toml: no penalty"
    (course / "late.toml").write_text('rule = "percent"\npercent = 25\nfloor = 0\n[extensions]\nada = 1\n')
    assert plugin.late_submission_penalty("ada", 40.0, DAY) is None, "within ada's extension"
    assert plugin.late_submission_penalty("bo", 40.0, DAY + 1) == 20.0


@pytest.mark.slow
@pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="no headless browser: install chromium and chromium-driver")
def test_a_batch_shows_the_penalty_apart_everywhere(tmp_path, browser):  # noqa: F811 - the fixture

    """docs/lms.md's late.toml and recipe, word for word."""
    for folder, example in (("ada", "correct"), ("bo", "relu_bug"), ("cy", "correct"), ("di", "correct")):
        shutil.copytree(ROOT / "examples" / "submissions" / example, tmp_path / "submissions" / folder)
    (tmp_path / "late.toml").write_text(marked_block("lms.md", "file: late.toml"))
    [command] = recipe("lms.md", "lms-late")
    # ada on time; bo 30 h late (2 started days: -20 %); cy 1 day late within a 2-day extension; di: no time
    (tmp_path / "times.csv").write_text("id,submitted\nada,2026-12-18T20:00:00Z\nbo,2026-12-20T05:59:00Z\n"
                                        "cy,2026-12-19T23:00:00Z\n")
    (tmp_path / "roster.csv").write_text("id,first_name,last_name,email\nada,Ada,L,a@x\nbo,Bo,T,b@x\ncy,Cy,Y,c@x\n"
                                         "di,Di,P,d@x\n")
    out = tmp_path / "grades"
    assert command.startswith("python -m autograder grade-batch "), command
    run_autograder(command, tmp_path)
    raw = json.loads((out / "bo" / "result.json").read_text())["score"]
    assert json.loads((out / "ada" / "result.json").read_text())["score"] == 100, "a result is never penalised"
    expected = round(raw * 0.8, 2)

    with open(out / "gradebook.csv", newline="") as handle:
        rows = {r["submission"]: r for r in csv.DictReader(handle)}
    assert float(rows["bo"]["total"]) == raw and float(rows["bo"]["late_penalty"]) == round(raw * 0.2, 2)
    assert float(rows["bo"]["score_after_penalty"]) == expected and rows["bo"]["late_by"] == "1 d 6 h"
    assert float(rows["ada"]["late_penalty"]) == 0 and float(rows["cy"]["late_penalty"]) == 0
    assert rows["di"]["submitted"] == "unknown" and rows["di"]["late_penalty"] == ""

    feedback = (out / "bo" / "feedback.md").read_text()
    assert "**Late:** Handed in 1 d 6 h late" in feedback and f"= {expected:g}." in feedback
    assert feedback.index("**Score:") < feedback.index("**Late:**")
    assert "**Late:** Handed in on time" in (out / "cy" / "feedback.md").read_text()
    assert "Late" not in (out / "di" / "feedback.md").read_text()
    assert "Handed in 1 d 6 h late" in (out / "bo" / "feedback.html").read_text()
    summary = (out / "summary.md").read_text()
    assert "## Late" in summary and "bo: Handed in 1 d 6 h late" in summary and "no penalty: di" in summary

    run_autograder("python -m autograder grade-batch submissions --out grades --roster roster.csv", tmp_path)
    assert "Late" not in (out / "bo" / "feedback.md").read_text(), "without the policy, the note goes"
    run_autograder(command, tmp_path)
    assert (out / "bo" / "feedback.md").read_text().count("**Late:**") == 1

    run_autograder("python -m autograder export grades --format canvas --parts --roster roster.csv "
                   "--output canvas.csv", tmp_path)
    with open(tmp_path / "canvas.csv", newline="") as handle:
        header, _, *students = list(csv.reader(handle))
    bo = dict(zip(header, students[1], strict=True))
    assert bo["micrograd"] == f"{expected:.2f}" and bo["micrograd: late penalty"] == f"{raw * 0.2:.2f}"

    browser.get((out / "class-report.html").as_uri())
    table = browser.execute_script(
        "const t = document.getElementById('students-table');"
        "return [[...t.tHead.rows[0].cells].map(c => c.innerText),"
        " ...[...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.innerText))]")
    heading, *rows_seen = table
    assert heading[1:4] == ["Score", "Late penalty", "After penalty"], "beside the raw score"
    seen = {row[0].split(" (")[-1].rstrip(")"): row for row in rows_seen}
    assert seen["bo"][1:4] == [f"{raw:g}", f"{round(raw * 0.2, 2):g}", f"{expected:g}"]
    assert seen["di"][2] == "no time"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "class-report-late.png"))

