"""Hostile submission files get a valid, honest result that leaks nothing (issue 10).

The fixtures (``tests/hostile/file_fixtures.py``) are graded as one class with
``grade-batch``, next to a real classmate whose folder they try to borrow.
For every one: a result (no internal error, no crash of the batch), no credit
for what could not be read honestly, full credit for what could, a message
naming the refused file, and nowhere in its result, feedback, the gradebook or
the class summary the grader's secret, the grader's environment, a host path
or the classmate's code.  The ones aimed at the grader's memory are graded
alone too, with the grader's peak memory measured.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from autograder.rubric import load_rubric
from micrograd_feedback.result import MAX_RESULT_BYTES
from tests.hostile.file_fixtures import FIXTURES, MODULES, Context, remove_deep

pytestmark = pytest.mark.slow  # end to end: the fast lane (make test-fast) leaves it out

ROOT = Path(__file__).resolve().parent.parent
RUBRIC = load_rubric()
SECRET = "filesecret-" + "7" * 40
ENV_MARKER = "environ-marker-" + "3" * 30
CLASSMATE_MARKER = "ALICE_ORIGINAL_WORK_" + "9" * 20
GRADER_MEMORY = 1 << 30  # bytes: the grader's own peak RSS on any of these (torch alone is ~300 MB)


def grader_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MICROGRAD_GRADER_SECRET"}
    return {**env, "XDG_CONFIG_HOME": str(tmp / "config"), "MICROGRAD_TEST_MARKER": ENV_MARKER}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile_files")
    secret_file = tmp / "config" / "micrograd-kit" / "grader-secret"
    secret_file.parent.mkdir(parents=True)
    secret_file.write_text(SECRET)
    secret_file.chmod(0o600)
    submissions = tmp / "class"
    alice = submissions / "alice"
    shutil.copytree(ROOT / "examples" / "submissions" / "correct", alice)
    for module in MODULES:
        path = alice / "micrograd_skeleton" / f"{module}.py"
        path.write_text(path.read_text() + f"\n{CLASSMATE_MARKER} = '{CLASSMATE_MARKER}'\n")
    ctx = Context(root=ROOT, secret=SECRET, secret_file=secret_file, classmate=alice,
                  classmate_marker=CLASSMATE_MARKER)
    for name, fixture in FIXTURES.items():
        fixture.build(submissions / name, ctx)
    os.symlink("alice", submissions / "mallory")  # a submission folder that is itself a link
    out = tmp / "out"
    done = subprocess.run([sys.executable, "-m", "autograder", "grade-batch", str(submissions), "--out", str(out),
                           "--jobs", "2"], capture_output=True, text=True, timeout=900, cwd=tmp,
                          env=grader_env(tmp))
    yield {"tmp": tmp, "out": out, "done": done, "ctx": ctx}
    remove_deep(submissions / "deep_folders")  # pytest's own clean-up would overflow on it


def forbidden_texts(graded) -> list[str]:
    return [SECRET, ENV_MARKER, CLASSMATE_MARKER, str(graded["tmp"]), str(ROOT)]


def test_the_batch_grades_every_hostile_folder(graded_class):
    done = graded_class["done"]
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {row["submission"]: row for row in csv.DictReader((graded_class["out"] / "gradebook.csv").open())}
    assert set(rows) == {*FIXTURES, "alice", "mallory"}
    assert all(row["status"] == "graded" for row in rows.values())
    assert float(rows["alice"]["total"]) == RUBRIC.total


@pytest.mark.parametrize("name", list(FIXTURES))
def test_hostile_files_get_an_honest_result_that_leaks_nothing(graded_class, name):
    fixture = FIXTURES[name]
    folder = graded_class["out"] / name
    text = (folder / "result.json").read_text()
    assert len(text.encode()) < MAX_RESULT_BYTES
    result = json.loads(text)
    for part in RUBRIC.parts.values():
        score = result["parts"][part.id]["score"]
        if part.module in fixture.zero:
            assert score == 0, f"{name}: {part.id} got {score} for a module that could not be read"
        else:
            assert score == part.points, f"{name}: {part.id} lost points for a module that is readable"
    assert result["score"] == pytest.approx(sum(p["score"] for p in result["parts"].values()), abs=0.01)
    assert not any("internal grader error" in t["message"] for t in result["tests"])
    said = json.dumps(result)
    for mention in fixture.mentions:
        assert mention in said, f"{name}: the result never says {mention!r}"
    everything = [text, *(f.read_text(errors="replace") for f in folder.glob("*.md"))]
    for forbidden in forbidden_texts(graded_class):
        assert not any(forbidden in t for t in everything), f"{name}: {forbidden[:30]}... reached the result"


def test_nothing_secret_reaches_the_gradebook_or_the_summary(graded_class):
    out = graded_class["out"]
    for report in ("gradebook.csv", "summary.md"):
        text = (out / report).read_text()
        for forbidden in forbidden_texts(graded_class):
            assert forbidden not in text, report


def test_a_linked_submission_folder_is_not_graded_as_its_target(graded_class):
    result = json.loads((graded_class["out"] / "mallory" / "result.json").read_text())
    assert result["score"] == 0
    assert "symbolic link" in json.dumps(result)


def test_links_are_left_as_they_were(graded_class):
    submissions = graded_class["tmp"] / "class"
    assert os.readlink(submissions / "link_to_secret" / "train.py") == str(graded_class["ctx"].secret_file)
    assert (graded_class["ctx"].secret_file).read_text() == SECRET


@pytest.mark.parametrize("name", [n for n, f in FIXTURES.items() if f.memory_heavy])
def test_the_graders_memory_stays_bounded(graded_class, name, tmp_path):
    """Graded alone: the grader's own peak memory (its children, the sandbox, are bounded apart)."""
    folder = graded_class["tmp"] / "class" / name
    with open(tmp_path / "stdout", "wb") as stdout:
        process = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(folder), "--format", "json"],
                                   stdout=stdout, stderr=subprocess.DEVNULL, env=grader_env(graded_class["tmp"]))
    timer = threading.Timer(300, process.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)  # the rusage of this child alone
    finally:
        timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0
    assert json.loads((tmp_path / "stdout").read_text())["score"] == 0
    peak = usage.ru_maxrss * 1024
    assert peak < GRADER_MEMORY, f"the grader peaked at {peak >> 20} MiB"


def test_out_inside_the_submissions_is_refused(tmp_path):
    (tmp_path / "subs" / "alice").mkdir(parents=True)
    done = subprocess.run([sys.executable, "-m", "autograder", "grade-batch", str(tmp_path / "subs"),
                           "--out", str(tmp_path / "subs" / "alice")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "inside" in done.stderr
    assert not (tmp_path / "subs" / "alice" / "gradebook.csv").exists()
