"""An instructor's journeys, driven as a person drives them (issue 22): the Make targets of docs/nbgrader.md
on a throwaway course, formgrader in headless Chromium, the class report in the browser.

The course: a roster (``make roster``), the release (``make release``, into the course's exchange), a
Canvas-shaped download of two students' notebooks (``make collect``), ``make autograde-fast``; then
formgrader under ``make lab``: the assignments are released, no exchange warning, every submission page
opens, a manual grade and a comment entered in the page reach ``make feedback`` and ``make export``.
Screenshots land in ``build/screenshots/``.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.rubric import load_rubric

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
ENV = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
ROSTER = ("id,first_name,last_name,email,lms_user_id,section\n"
          "lovelacea,Ada,Lovelace,ada@example.org,124,A\n"
          "hopperg,Grace,Hopper,grace@example.org,123,A\n"
          "turinga,Alan,Turing,alan@example.org,125,B\n")
RELU_BUG = ("out._backward = _backward", "out.backward = _backward")
COMMENT = "Your relu only missed the underscore: full marks by hand."

needs_browser = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                   reason="no headless browser here: install Debian's chromium and chromium-driver")


def make(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    done = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), *args], env=ENV, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def solved(course: Path, assignment: str, bug: tuple[str, str] | None = None) -> bytes:
    """The released notebook with the solution in it (and ``bug`` applied to the relu method)."""
    source = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    solutions = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            text = solutions[grade_id]
            if bug and "def relu" in text:
                relu = text.index("def relu")
                at = text.index(bug[0], relu)
                text = text[:at] + bug[1] + text[at + len(bug[0]):]
            cell.source = text
    return nbformat.writes(nb).encode()


def canvas_zip(path: Path, files: dict[str, tuple[bytes, tuple]]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, (data, when) in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=when), data)
    return path


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("journey")
    course = tmp / "course"
    course.mkdir()
    shutil.copy(ROOT / "assignments" / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "assignments" / "source", course / "source")
    (tmp / "roster.csv").write_text(ROSTER)
    logs = {"roster": make("roster", f"COURSE={course}", f"FILE={tmp / 'roster.csv'}"),
            "release": make("release", f"COURSE={course}")}
    download = canvas_zip(tmp / "submissions.zip", {
        "lovelaceada_124_9001_value_engine.ipynb": (solved(course, "value_engine"), (2026, 12, 1, 10, 0, 0)),
        "hoppergrace_123_9002_value_engine.ipynb": (solved(course, "value_engine", RELU_BUG), (2026, 12, 1, 11, 0, 0)),
    })
    logs["collect"] = make("collect", f"FROM={download}", f"COURSE={course}")
    logs["autograde"] = make("autograde-fast", f"COURSE={course}", "JOBS=2")
    return {"dir": course, "tmp": tmp, "logs": logs}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(course):
    port, token = free_port(), "journey-token"
    args = f"--no-browser --port={port} --ServerApp.ip=127.0.0.1 --IdentityProvider.token={token}"
    process = subprocess.Popen(["make", "--no-print-directory", "-C", str(ROOT), "lab", f"COURSE={course['dir']}",
                                f"LAB_ARGS={args}"], env=ENV, stdout=subprocess.DEVNULL,
                               stderr=open(course["tmp"] / "lab.log", "w"), start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    yield {"url": url, "token": token, "log": course["tmp"] / "lab.log"}
    os.killpg(process.pid, 15)
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = condition()
        except Exception:  # noqa: BLE001 - the page is still loading
            value = None
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def submission_score(course: Path, student: str) -> float:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return float(gb.find_submission("value_engine", student).score)


def shot(driver, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / name))


@needs_browser
def test_formgrader_opens_every_submission_and_keeps_a_manual_grade(course, lab, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(f"{lab['url']}/formgrader?token={lab['token']}")
    page = wait_for(lambda: browser.find_element(By.TAG_NAME, "body").text if "value_engine" in
                    browser.find_element(By.TAG_NAME, "body").text else None, 60, "formgrader's assignments")
    shot(browser, "formgrader-assignments.png")
    assert "does not exist" not in page, "the exchange directory warning"
    row = browser.find_element(By.XPATH, "//tr[.//a[text()='value_engine']]")
    assert "released" in row.text and "draft" not in row.text

    browser.find_element(By.LINK_TEXT, "Manage Students").click()
    students = wait_for(lambda: browser.find_element(By.TAG_NAME, "body").text if "Hopper" in
                        browser.find_element(By.TAG_NAME, "body").text else None, 30, "the roster's names")
    assert "Lovelace" in students and "Turing" in students and "None, None" not in students

    browser.find_element(By.LINK_TEXT, "Manual Grading").click()
    wait_for(lambda: browser.find_element(By.LINK_TEXT, "value_engine"), 30, "the gradebook").click()
    wait_for(lambda: browser.find_element(By.XPATH, "//a[text()='value_engine' and contains(@href, "
                                                    "'value_engine/value_engine')]"), 30, "the notebook").click()
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "a.name-hidden"), 30, "the submissions")
    browser.find_element(By.ID, "toggle_names").click()  # "Show All Names"
    links = wait_for(lambda: [a for a in browser.find_elements(By.CSS_SELECTOR, "a.name-shown") if a.text.strip()],
                     30, "the students' names")
    named = {a.text.strip(): a.get_attribute("href") for a in links}
    assert any("Hopper" in name for name in named), named
    shot(browser, "formgrader-submissions.png")
    for name, href in named.items():  # every submission page opens: the notebook and its score boxes
        browser.get(href)
        boxes = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "input.score"), 30, f"{name}'s page")
        assert "encountered an error" not in browser.find_element(By.TAG_NAME, "body").text
        assert len(boxes) == 10, name  # one per check cell of value_engine

    before = submission_score(course["dir"], "hopperg")
    browser.get(next(href for name, href in named.items() if "Hopper" in name))
    relu = wait_for(lambda: browser.find_element(By.ID, "check_relu"), 30, "check_relu's score box")
    # formgrader shows the autograded score as the box's placeholder, a manual one as its value
    wait_for(lambda: relu.get_attribute("placeholder"), 30, "the autograded score in check_relu's box")
    assert float(relu.get_attribute("placeholder")) == 0 and relu.get_attribute("value") == ""
    browser.find_element(By.ID, "engine_value-comment").send_keys(COMMENT, Keys.TAB)
    relu.clear()
    relu.send_keys("6", Keys.TAB)  # the focus stays by relu's box: the screenshot below shows it

    def saved() -> bool:
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{course['dir'] / 'gradebook.db'}") as gb:
            grade = gb.find_grade("check_relu", "value_engine", "value_engine", "hopperg")
            remark = gb.find_comment("engine_value", "value_engine", "value_engine", "hopperg")
            return grade.manual_score == 6 and remark.manual_comment == COMMENT

    wait_for(saved, 30, "the manual grade and the comment in the gradebook")
    shot(browser, "formgrader-manual-grade.png")

    after = submission_score(course["dir"], "hopperg")
    assert after == pytest.approx(before + 6)  # relu's 6 points, by hand (the graphs part keeps its own score)
    feedback = make("feedback", f"COURSE={course['dir']}")
    page = (course["dir"] / "feedback" / "hopperg" / "value_engine" / "value_engine.html").read_text()
    assert COMMENT in page and f"(Score: {round(after, 2)} / 60.0)" in page, feedback.stdout
    # What the student reads there: the course grader's report in their terms, the fix first; no bare
    # `Out[n]: 0.0`, no check ids, no "probe"
    browser.get((course["dir"] / "feedback" / "hopperg" / "value_engine" / "value_engine.html").as_uri())
    cell = wait_for(lambda: browser.execute_script(
        "return [...document.querySelectorAll('.jp-Cell, .cell')].find(c => c.innerText.includes('check(\"relu\")'));"),
        30, "the relu check cell on the feedback page")
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", cell)
    shot(browser, "nbgrader-feedback-relu.png")
    text = cell.text
    assert "you assigned `out.backward = ...`" in " ".join(text.split()), text
    assert "Out[" not in text and "test_relu" not in text and "probe" not in text, text
    make("export", f"COURSE={course['dir']}")
    with open(course["dir"] / "grades.csv", newline="") as handle:
        rows = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(handle)}
    assert float(rows[("value_engine", "hopperg")]["score"]) == pytest.approx(after, abs=0.005)
    assert rows[("value_engine", "hopperg")]["last_name"] == "Hopper"
    assert rows[("value_engine", "turinga")]["status"] == "no submission"
    assert rows[("value_engine", "turinga")]["score"] == ""


def test_collect_takes_canvas_and_moodle_downloads_and_replaces_only_a_newer_hand_in(course):
    folder = course["dir"]
    before = (folder / "submitted" / "lovelacea" / "value_engine" / "value_engine.ipynb").read_bytes()
    fixed = solved(folder, "value_engine")
    again = canvas_zip(course["tmp"] / "again.zip", {  # Canvas: a resubmission is "-1"; Ada's is the same
        "lovelaceada_124_9001_value_engine.ipynb": (before, (2026, 12, 1, 10, 0, 0)),
        "hoppergrace_LATE_123_9003_value_engine-1.ipynb": (fixed, (2026, 12, 2, 9, 30, 0)),
    })
    done = make("collect", f"FROM={again}", f"COURSE={folder}")
    assert "0 new, 1 replaced by a newer hand-in, 1 unchanged" in done.stdout, done.stdout
    assert (folder / "submitted" / "hopperg" / "value_engine" / "value_engine.ipynb").read_bytes() == fixed
    assert (folder / "submitted" / "hopperg" / "value_engine" / "timestamp.txt").read_text().startswith(
        "2026-12-02 09:30:00")
    archived = list((folder / "submitted-archive" / "hopperg" / "value_engine").glob("*/value_engine.ipynb"))
    assert len(archived) == 1 and b"out.backward = _backward" in archived[0].read_bytes()
    assert (folder / "submitted" / "lovelacea" / "value_engine" / "value_engine.ipynb").read_bytes() == before

    # An older download of the same student changes nothing; Moodle's folders map through lms_user_id.
    moodle = course["tmp"] / "moodle"
    (moodle / "Alan Turing_125_assignsubmission_file_").mkdir(parents=True)
    (moodle / "Alan Turing_125_assignsubmission_file_" / "my work.ipynb").write_bytes(fixed)
    (moodle / "Grace Hopper_123_assignsubmission_file_").mkdir()
    old = moodle / "Grace Hopper_123_assignsubmission_file_" / "value_engine.ipynb"
    old.write_bytes(solved(folder, "value_engine", RELU_BUG))  # her first, buggy hand-in, downloaded again
    os.utime(old, (time.mktime((2026, 11, 1, 0, 0, 0, 0, 0, -1)),) * 2)
    done = make("collect", f"FROM={moodle}", f"COURSE={folder}", "ASSIGNMENT=value_engine")
    assert "1 new, 0 replaced by a newer hand-in, 0 unchanged, 1 kept" in done.stdout, done.stdout
    assert (folder / "submitted" / "turinga" / "value_engine" / "value_engine.ipynb").read_bytes() == fixed


def test_a_roster_names_students_in_the_class_report_with_html_feedback(course, tmp_path):
    source = tmp_path / "class"
    for student in ("lovelacea", "hopperg", "stranger"):
        shutil.copytree(course["dir"] / "submitted" / ("hopperg" if student == "stranger" else student)
                        / "value_engine", source / student)
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "autograder", "grade-batch", str(source), "--out", str(out),
                           "--jobs", "2", "--roster", str(course["tmp"] / "roster.csv")], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    report = (out / "class-report.html").read_text()
    table = report[report.index('id="students-table"'):]
    for name in ("Lovelace, Ada (lovelacea)", "Hopper, Grace (hopperg)", "Turing, Alan (turinga)", "stranger"):
        assert name in table, name
    assert "no submission" in table and "Not on the roster: stranger" in report
    attention = report[report.index('id="needs-attention"'):report.index('id="students"')]
    assert "Turing, Alan (turinga)" in attention and "no submission" in attention
    assert "nn.py" not in report and "neural_net" not in report  # a value_engine class, told nothing else
    assert "the assignment value_engine only" in done.stderr
    page = (out / "lovelacea" / "feedback.html").read_text()
    assert "./lovelacea/feedback.html" in report and "<h1>Feedback for lovelacea</h1>" in page
    assert "Every check passed" in page and "<script" not in page
    rows = {r["submission"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert rows["lovelacea"]["last_name"] == "Lovelace" and rows["turinga"]["status"] == "no submission"
    assert "nn" not in rows["lovelacea"]
    for name in ("hopperg", "lovelacea"):
        result = json.loads((out / name / "result.json").read_text())
        assert "nn.py" not in json.dumps(result)
        assert set(result["parts"]) == set(load_rubric().for_assignment("value_engine").parts)


@needs_browser
def test_the_class_report_in_the_browser_sorts_and_opens_feedback(course, tmp_path, browser):
    from selenium.webdriver.common.by import By

    source = tmp_path / "class"
    for student in ("lovelacea", "hopperg"):
        shutil.copytree(course["dir"] / "submitted" / student / "value_engine", source / student)
    (source / "hopperg" / "value_engine.ipynb").write_bytes(solved(course["dir"], "value_engine", RELU_BUG))
    out = tmp_path / "out"
    subprocess.run([sys.executable, "-m", "autograder", "grade-batch", str(source), "--out", str(out), "--jobs", "2",
                    "--roster", str(course["tmp"] / "roster.csv")], cwd=ROOT, env=ENV, capture_output=True,
                   check=True, timeout=600)
    browser.get((out / "class-report.html").as_uri())
    table = browser.find_element(By.ID, "students-table")
    score = table.find_element(By.XPATH, ".//th[text()='Score']")

    def first_student() -> str:
        return table.find_elements(By.CSS_SELECTOR, "tbody tr")[0].find_elements(By.TAG_NAME, "td")[0].text

    score.click()  # highest first
    assert first_student().startswith("Lovelace")
    score.click()
    assert first_student().startswith("Hopper")
    shot(browser, "class-report-students.png")
    table.find_element(By.PARTIAL_LINK_TEXT, "Hopper").click()
    body = wait_for(lambda: browser.find_element(By.TAG_NAME, "body").text, 10, "the feedback page")
    assert "backward-not-underscore" in body or "out._backward" in body
    assert re.search(r"Score: \d+(\.\d+)? / 60", body)
    shot(browser, "feedback-page.png")


def test_make_autograde_logs_no_kernel_or_sqlalchemy_noise(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "assignments" / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "assignments" / "source" / "value_engine", course / "source" / "value_engine")
    make("release", f"COURSE={course}")
    target = course / "submitted" / "ada" / "value_engine"
    target.mkdir(parents=True)
    (target / "value_engine.ipynb").write_bytes(solved(course, "value_engine", RELU_BUG))
    done = make("autograde", f"COURSE={course}")
    log = done.stdout + done.stderr
    assert "without encryption" not in log and "SAWarning" not in log and "MissingIDField" not in log, log
    fast = make("autograde-fast", f"COURSE={course}")
    log = fast.stdout + fast.stderr
    assert "MissingIDField" not in log and "SAWarning" not in log, log
    autograded = nbformat.read(course / "autograded" / "ada" / "value_engine" / "value_engine.ipynb", as_version=4)
    counts = [c.execution_count for c in autograded.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), "In [n] matches the reports' Cell In[n]"


def test_a_notebook_submissions_error_is_placed_in_its_cell(course, tmp_path):
    folder = course["dir"]
    nb = nbformat.reads(solved(folder, "value_engine").decode(), as_version=4)
    cell = next(c for c in nb.cells if "class Value" in c.source and c.metadata.get("nbgrader", {}).get("solution"))
    cell.source = cell.source.replace("    def tanh(self):\n", "    def tanh(self):\n        raise ValueError('boom')\n")
    path = tmp_path / "value_engine.ipynb"
    nbformat.write(nb, path)
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(path), "--format", "json",
                           "--assignment", "value_engine"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    result = json.loads(done.stdout)
    tanh = [t["message"] for t in result["tests"] if t["part"] == "tanh" and t["status"] != "passed"]
    ordinal = [c for c in nb.cells if c.cell_type == "code"].index(cell) + 1  # as a run top to bottom counts
    assert tanh and all(f"(value_engine.ipynb, Cell In[{ordinal}], line " in m for m in tanh), tanh[:1]
    assert "engine.py, line" not in json.dumps(result)
