"""Every name a student chooses is data, never markup (issue 21).

Names with ESC sequences, OSC 0/52, BEL, bidi controls, a newline and a forged
heading, raw HTML, ``javascript:`` and spreadsheet formulas (``tests/hostile/names.py``),
as links in a submission folder, members of a zip, folders of a class, files of a
CI checkout and a Gradescope upload, are graded the way each path grades them.
Every report is checked as a person would see it: the terminal's text, JSON
strings, Markdown rendered (raw HTML allowed), JUnit parsed, CSV read, the
class report parsed: no raw control or bidi character, no forged heading, no
live HTML or script link, no formula cell, the name still findable, and the
score no higher than the honest one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pytest

from autograder.grading.grade import grade_result
from autograder.reporters import REPORTERS
from autograder.reporters.class_report import SORT_SCRIPT
from autograder.reporters.similarity import OPEN_SCRIPT
from autograder.reporters.text import render as render_text
from deploy import ci
from deploy.gradescope.run import results_for
from deploy.intake import grade_upload
from micrograd_feedback.untrusted import csv_value, shown
from tests.hostile.names import NAMES, check_csv, check_html, check_markdown, check_text, findable, forbidden_in

pytestmark = pytest.mark.slow  # graders in subprocesses and a batch

ROOT = Path(__file__).resolve().parent.parent
RELU_BUG = ROOT / "examples" / "submissions" / "relu_bug"
FOLDER_NAMES = ("heading", "escapes", "bidi", "markup")  # the "Not read" note keeps the first ten, each capped


def json_strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in json_strings(k) + json_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in json_strings(v)]
    return []


def check_json(data: dict, *, where: str) -> None:
    bad = [s for s in json_strings(data) if forbidden_in(s)]
    assert not bad, f"{where}: raw control or bidi characters in {bad[:2]!r}"


def with_links(folder: Path, keys) -> Path:
    shutil.copytree(RELU_BUG, folder)
    for key in keys:
        (folder / NAMES[key]).symlink_to("/etc/passwd")
    return folder


@pytest.fixture(scope="module")
def honest():
    return grade_result(RELU_BUG)


def check_every_reporter(result, honest, *, where: str, names) -> None:
    assert result.score <= honest.score
    for fmt, render in REPORTERS.items():
        text = render(result)
        here = f"{where} --format {fmt}"
        if fmt in ("json", "gradescope", "prairielearn"):
            data = json.loads(text)
            check_json(data, where=here)
            if fmt == "gradescope":
                page = check_markdown(data["output"], where=f"{here} output")
                for test in data["tests"]:
                    check_markdown(test["output"], where=f"{here} test output")
                assert all(findable(NAMES[k], page.visible) for k in names), here
            if fmt == "json":
                assert all(findable(NAMES[k], data["problems"]["files"]) for k in names), here
        elif fmt == "junit":
            check_text(text, where=here)
            ET.fromstring(text.split("\n", 1)[1])  # well-formed XML
        elif fmt == "markdown":
            page = check_markdown(text, where=here)
            assert all(findable(NAMES[k], page.visible) for k in names), here
        else:
            check_text(text, where=here)
            assert all(findable(NAMES[k], " ".join(text.split())) or shown(NAMES[k])[:20] in text for k in names)
    coloured = render_text(result, color=True)  # what a terminal gets: rich's own colours, none of the student's
    assert not any(seq in coloured for seq in ("\x1b]", "\x07", "\x1b[2J", "\u202e", "\x9b"))


def test_names_of_files_in_a_folder_are_shown_inert(tmp_path, honest):
    folder = with_links(tmp_path / "submission", FOLDER_NAMES)
    result = grade_result(folder)
    assert "files" in result.problems
    check_every_reporter(result, honest, where="folder", names=FOLDER_NAMES)
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(folder)], capture_output=True, text=True,
                          cwd=tmp_path)
    assert done.returncode == 0
    check_text(done.stdout + done.stderr, where="grade's terminal output")


def test_names_of_zip_members_are_shown_inert(tmp_path, honest):
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(RELU_BUG.rglob("*.py")):
            zf.write(path, path.relative_to(RELU_BUG).as_posix())
        for key in FOLDER_NAMES:
            zf.writestr(f"../{NAMES[key]}", "print('outside')\n")
            link = zipfile.ZipInfo(f"link-{NAMES[key]}")
            link.external_attr = (0o120777 << 16)
            zf.writestr(link, "/etc/passwd")
    result = grade_result(archive)
    assert result.score <= honest.score
    check_every_reporter(result, honest, where="zip", names=FOLDER_NAMES)


def test_a_class_of_hostile_folder_names(tmp_path):
    """Batch: gradebook.csv, summary.md, class-report.html, feedback.md, and the batch's own output."""
    source, out = tmp_path / "class", tmp_path / "out"
    source.mkdir()
    for name in NAMES.values():
        folder = source / name
        shutil.copytree(RELU_BUG, folder)
        (folder / "micrograd_skeleton" / "train.py").unlink()  # so each one is in "needs attention" too
    done = subprocess.run([sys.executable, "-m", "autograder", "grade-batch", str(source), "--out", str(out),
                           "--jobs", "2"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    check_text(done.stdout + done.stderr, where="grade-batch's output")

    rows = check_csv(out / "gradebook.csv", where="gradebook.csv")
    assert sorted(csv_value(row[0]) for row in rows[1:]) == sorted(shown(n) for n in NAMES.values())
    summary = check_markdown((out / "summary.md").read_text(), where="summary.md")
    assert summary.headings[0] == "Class summary"

    report = (out / "class-report.html").read_text()
    page = check_html(report, where="class-report.html", scripts=(SORT_SCRIPT, OPEN_SCRIPT))
    links = [attrs["href"] for tag, attrs in page.tags if tag == "a" and not attrs["href"].startswith("#")]
    inside = {attrs["href"] for tag, attrs in page.tags if tag == "a" and attrs["href"].startswith("#")}
    assert all(re.fullmatch(r"#pair-\d+", href) for href in inside)  # the similar-code pairs' own anchors
    targets = {unquote(href.removeprefix("./")).rsplit("/", 1)[0] for href in links}
    assert targets == set(NAMES.values())  # each link opens that student's own folder
    assert all((out / target).is_dir() for target in targets)
    assert all(findable(name, page.visible) for name in NAMES.values())

    for name in NAMES.values():
        result = json.loads((out / name / "result.json").read_text())
        check_json(result, where=f"{name!r}/result.json")
        feedback = check_markdown((out / name / "feedback.md").read_text(), where=f"{name!r}/feedback.md")
        assert feedback.headings[0].startswith("Feedback for ")
        assert findable(name, feedback.headings[0])
        page = check_html((out / name / "feedback.html").read_text(), where=f"{name!r}/feedback.html")
        assert findable(name, page.headings[0])


def test_a_ci_checkout_with_nothing_but_hostile_names(tmp_path, capsys):
    checkout, out = tmp_path / "checkout", tmp_path / "out"
    checkout.mkdir()
    for name in NAMES.values():
        (checkout / name).write_text("nothing to grade\n")
    assert ci.main(["grade", str(checkout), "--out", str(out)]) == 0
    page = check_markdown((out / "summary.md").read_text(), where="CI summary.md")
    assert all(findable(name, page.visible) for name in NAMES.values())
    status = json.loads((out / "status.json").read_text())
    check_json(status, where="status.json")
    assert status["state"] == "error"
    captured = capsys.readouterr()
    check_text(captured.out + captured.err, where="the CI log")


def test_a_ci_checkout_and_a_gradescope_upload_with_a_hostile_folder(tmp_path, honest):
    for key in ("heading", "escapes", "bidi"):
        upload = tmp_path / key
        upload.mkdir()
        shutil.copytree(RELU_BUG / "micrograd_skeleton", upload / NAMES[key])
        (upload / NAMES[key] / NAMES["markup"]).symlink_to("/etc/passwd")
        graded = grade_upload(upload, source=ROOT, timeout=300)
        assert graded.result is not None and graded.result.score <= honest.score
        results = results_for(graded, 0.0, None)
        check_json(results, where=f"Gradescope results.json ({key})")
        page = check_markdown(results["output"], where=f"Gradescope output ({key})")
        assert findable(NAMES[key], page.visible)
        out = tmp_path / f"ci-{key}"
        assert ci.main(["grade", str(upload), "--out", str(out)]) == 0
        check_markdown((out / "summary.md").read_text(), where=f"CI summary.md ({key})")
        check_text((out / "junit.xml").read_text(), where=f"CI junit.xml ({key})")
        check_json(json.loads((out / "result.json").read_text()), where=f"CI result.json ({key})")
        assert os.listdir(out)
