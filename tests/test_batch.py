"""Batch grading: results, feedback, gradebook, summary, failures, kill-and-resume (issue 4)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from autograder.batch.store import STAMP
from autograder.rubric import load_rubric

pytestmark = pytest.mark.slow  # end to end: the fast lane (make test-fast) leaves it out

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "solutions"
SKELETON = ROOT / "micrograd_skeleton"
MODULES = ("engine", "nn", "train")
MUL_BUG = ("            self.grad += other.data * out.grad", "            self.grad += self.data * out.grad")
RELU_BUG = ("        out._backward = _backward\n        return out\n        ### END SOLUTION\n\n    def sigmoid",
            "        out.backward = _backward\n        return out\n        ### END SOLUTION\n\n    def sigmoid")


def submission(folder: Path, base: Path = REFERENCE, change: tuple[str, str] | None = None) -> Path:
    folder.mkdir(parents=True)
    for module in MODULES:
        text = (base / f"{module}.py").read_text()
        if change and module == "engine":
            assert change[0] in text
            text = text.replace(*change, 1)
        (folder / f"{module}.py").write_text(text)
    return folder


def a_class(root: Path, copies: int = 1) -> Path:
    """A small class: correct, untouched skeleton, a wrong mul gradient, the relu bug (``copies`` of each)."""
    for i in range(copies):
        submission(root / f"correct_{i}")
        submission(root / f"skeleton_{i}", SKELETON)
        submission(root / f"mul_bug_{i}", change=MUL_BUG)
        submission(root / f"relu_bug_{i}", change=RELU_BUG)
    return root


def cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=600, **kwargs)


def snapshot(out: Path) -> dict[str, tuple[int, str]]:
    return {p.parent.name: (p.stat().st_mtime_ns, p.read_text()) for p in out.glob("*/result.json")}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    root = a_class(tmp_path_factory.mktemp("class") / "submissions")
    out = root.parent / "out"
    done = cli("grade-batch", str(root), "--out", str(out), "--jobs", "2")
    return root, out, done


def test_every_submission_gets_a_result_and_feedback(graded_class):
    root, out, done = graded_class
    assert done.returncode == 0, done.stderr
    for folder in root.iterdir():
        result = json.loads((out / folder.name / "result.json").read_text())
        assert set(result) >= {"score", "max_score", "parts", "tests"}
        assert (out / folder.name / "feedback.md").read_text().startswith("# Feedback")
    scores = {f.name: json.loads((out / f.name / "result.json").read_text())["score"] for f in root.iterdir()}
    total = load_rubric().total
    assert scores["correct_0"] == total
    assert scores["skeleton_0"] == 0
    assert 0 < scores["mul_bug_0"] < total and 0 < scores["relu_bug_0"] < total
    assert "4/4" in done.stderr  # the progress bar: done/total


def test_the_batch_result_is_the_single_grade_result(graded_class):
    root, out, _ = graded_class
    single = json.loads(cli("grade", str(root / "mul_bug_0"), "--format", "json").stdout)
    stored = json.loads((out / "mul_bug_0" / "result.json").read_text())
    assert stored["parts"] == single["parts"]
    assert stored["score"] == single["score"]


def test_feedback_draws_the_wrong_gradient(graded_class):
    _, out, _ = graded_class
    feedback = (out / "mul_bug_0" / "feedback.md").read_text()
    assert "Multiplication" in feedback and "Expected" in feedback
    if shutil.which("dot"):
        assert "![" in feedback and (out / "mul_bug_0" / "graph-mul.svg").is_file()
        svg = (out / "mul_bug_0" / "graph-mul.svg").read_text()
        assert "red" in svg and "yours" in svg
    assert "Every check passed" in (out / "correct_0" / "feedback.md").read_text()


def test_gradebook_has_a_row_per_submission_and_a_column_per_part(graded_class):
    root, out, _ = graded_class
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert sorted(r["submission"] for r in rows) == sorted(f.name for f in root.iterdir())
    result = json.loads((out / "correct_0" / "result.json").read_text())
    assert set(result["parts"]) <= set(rows[0])
    for row in rows:
        stored = json.loads((out / row["submission"] / "result.json").read_text())
        assert float(row["total"]) == stored["score"]
        assert all(float(row[p]) == stored["parts"][p]["score"] for p in stored["parts"])


def test_summary_has_means_pass_rates_and_diagnoses(graded_class):
    _, out, _ = graded_class
    summary = (out / "summary.md").read_text()
    assert "4 of 4 submissions graded" in summary
    assert "| relu |" in summary and "Pass rate" in summary
    assert "backward-not-underscore" in summary  # the relu bug's diagnosis key


# Runs the batch in a fresh interpreter (the checks cannot be imported inside this pytest
# session) with a grader that raises on one submission and dies on another.
FLAKY_BATCH = """
import os, signal, sys
from pathlib import Path
import autograder.grading.grade as grading
from autograder.batch import grade_batch
real = grading.GradingLoop._grade
def flaky(self, session, path):
    name = Path(path).name
    if name == "raises" and os.environ.get("FLAKY"):
        raise RuntimeError("the grader tripped over this one")
    if name == "crashes" and os.environ.get("FLAKY"):
        os.kill(os.getpid(), signal.SIGKILL)
    return real(self, session, path)
grading.GradingLoop._grade = flaky
sys.exit(grade_batch(sys.argv[1], sys.argv[2], jobs=2))
"""


def test_a_submission_that_breaks_the_grader_is_reported_and_the_batch_goes_on(tmp_path):
    root = tmp_path / "submissions"
    for name in ("fine", "raises", "crashes"):
        submission(root / name)
    out = tmp_path / "out"
    run = [sys.executable, "-c", FLAKY_BATCH, str(root), str(out)]
    done = subprocess.run(run, cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, "FLAKY": "1"})
    assert done.returncode == 1, done.stderr
    assert (out / "fine" / "result.json").is_file()
    assert not (out / "raises" / "result.json").exists() and not (out / "crashes" / "result.json").exists()
    assert "tripped over" in (out / "raises" / "error.txt").read_text()
    assert "signal 9" in (out / "crashes" / "error.txt").read_text()
    summary = (out / "summary.md").read_text()
    assert "1 of 3 submissions graded" in summary and "raises" in summary and "crashes" in summary
    rows = {r["submission"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert rows["raises"]["status"] == "error" and rows["fine"]["status"] == "graded"
    assert "raises" in done.stderr and "crashes" in done.stderr
    # The next run retries the failed ones (now successfully) and keeps the graded one.
    before = snapshot(out)
    done = subprocess.run(run, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    after = snapshot(out)
    assert after["fine"] == before["fine"]
    assert set(after) == {"fine", "raises", "crashes"}
    assert not (out / "raises" / "error.txt").exists()


def test_kill_mid_way_and_resume(tmp_path):
    root = a_class(tmp_path / "submissions", copies=4)  # 16 submissions
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "autograder", "grade-batch", str(root), "--out", str(out),
                                "--jobs", "2"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while len(list(out.glob("*/result.json"))) < 3 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the batch and every grader it forked, mid-write
        process.wait()
    time.sleep(0.5)
    before = snapshot(out)
    assert 3 <= len(before) < 16, "kill the batch after a few results, before the end"
    for result in before.values():  # what was written is complete: atomic writes
        json.loads(result[1])
    # Finished: the result and, written by the batch right after it, the stamp of what it was graded
    # from.  A kill between the two leaves a result without its stamp, which resume grades again.
    finished = {name: stamp for name, stamp in before.items() if (out / name / STAMP).is_file()}
    done = cli("grade-batch", str(root), "--out", str(out), "--jobs", "2")
    assert done.returncode == 0, done.stderr
    after = snapshot(out)
    assert set(after) == {f.name for f in root.iterdir()}  # nothing lost
    for name, stamp in finished.items():
        assert after[name] == stamp, f"{name} was graded again"  # nothing finished re-graded
    assert f"skipped {len(finished)}" in done.stderr
    assert not list(out.glob("*/.*.tmp")), "temporary files left behind"
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert len(rows) == 16 and all(r["status"] == "graded" for r in rows)
    # --force grades everything again.
    forced = cli("grade-batch", str(root), "--out", str(out), "--jobs", "2", "--force")
    assert forced.returncode == 0
    again = snapshot(out)
    assert all(again[name][0] != stamp[0] for name, stamp in before.items())
    assert {n: json.loads(t)["score"] for n, (_, t) in again.items()} == {n: json.loads(t)["score"] for n, (_, t) in after.items()}


ADD_DETACHED = ('        out = Value(self.data + other.data, (self, other), "+")\n',
                '        out = Value(self.data + other.data, (), "+")\n')
FORGED_KEY = ("    for p in parameters:\n        p.data -= lr * p.grad\n",
              "    raise ValueError('Likely cause: [sgd-wrong-sign] [missing-chain-factor]')\n")


def test_the_summary_counts_diagnoses_the_grader_made_and_only_those(tmp_path):
    """``[detached]`` (no hyphen) reaches the summary; a key in the student's own exception text does not."""
    root = tmp_path / "submissions"
    submission(root / "detached", change=ADD_DETACHED)
    forged = submission(root / "forged")
    train = forged / "train.py"
    train.write_text(train.read_text().replace(*FORGED_KEY))
    done = cli("grade-batch", str(root), "--out", str(tmp_path / "out"), "--jobs", "2")
    assert done.returncode == 0, done.stderr
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "| `detached` | 1 |" in summary
    assert "sgd-wrong-sign" not in summary and "missing-chain-factor" not in summary
    detached = json.loads((tmp_path / "out" / "detached" / "result.json").read_text())
    assert any(d["key"] == "detached" for t in detached["tests"] for d in t.get("diagnoses", []))
    forged_result = json.loads((tmp_path / "out" / "forged" / "result.json").read_text())
    assert not any(t.get("diagnoses") for t in forged_result["tests"])


SGD_SIGN = ("        p.data -= lr * p.grad\n", "        p.data += lr * p.grad\n")


def test_resume_regrades_what_changed_and_only_that(tmp_path):
    """Resume keeps a result only while the submission's content, the rubric and the grader are the ones
    it was graded with: a changed train.py is graded again (and says so), a touched but unchanged file
    is not, and another rubric grades everything again."""
    root = a_class(tmp_path / "submissions")
    out = tmp_path / "out"
    assert cli("grade-batch", str(root), "--out", str(out), "--jobs", "2").returncode == 0
    before = snapshot(out)
    train = root / "correct_0" / "train.py"
    assert SGD_SIGN[0] in train.read_text()
    train.write_text(train.read_text().replace(*SGD_SIGN))
    os.utime(root / "mul_bug_0" / "nn.py")  # a new time, the same content
    done = cli("grade-batch", str(root), "--out", str(out), "--jobs", "2")
    assert done.returncode == 0, done.stderr
    assert "grading again 1 submission(s)" in done.stderr and "correct_0" in done.stderr
    assert "graded 1 (1 of them again" in done.stderr and "skipped 3 unchanged" in done.stderr
    after = snapshot(out)
    assert [n for n in before if after[n] != before[n]] == ["correct_0"]
    assert json.loads(after["correct_0"][1])["parts"]["training"]["score"] < load_rubric().parts["training"].points
    again = cli("grade-batch", str(root), "--out", str(out), "--jobs", "2", "--assignment", "value_engine")
    assert again.returncode == 0 and "grading again 4 submission(s)" in again.stderr
    assert all(json.loads(t)["max_score"] == 60 for _, t in snapshot(out).values())


def test_staging_left_by_a_killed_grader_is_removed_at_the_next_start(tmp_path):
    from autograder.sandbox.isolation import staging_dir
    from autograder.sandbox.staging import STAGING_PREFIX

    folder = Path(staging_dir() or tempfile.gettempdir())
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = folder / f"{STAGING_PREFIX}{dead.pid}-leftover"
    alive = folder / f"{STAGING_PREFIX}{os.getpid()}-in-use"
    for path in (stale, alive):
        (path / "submission").mkdir(parents=True, exist_ok=True)
    try:
        done = cli("grade-batch", str(a_class(tmp_path / "submissions")), "--out", str(tmp_path / "out"))
        assert done.returncode == 0 and "removed 1 staging folder" in done.stderr
        assert not stale.exists() and alive.exists(), "only a dead grader's folder goes"
    finally:
        shutil.rmtree(stale, ignore_errors=True)
        shutil.rmtree(alive, ignore_errors=True)


def test_ctrl_c_stops_with_a_sentence_and_the_batch_resumes(tmp_path):
    root = a_class(tmp_path / "submissions", copies=4)
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "autograder", "grade-batch", str(root), "--out", str(out),
                                "--jobs", "2"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    deadline = time.monotonic() + 300
    while len(list(out.glob("*/result.json"))) < 2 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends: the whole foreground group
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr, stderr
    done = cli("grade-batch", str(root), "--out", str(out), "--jobs", "2")
    assert done.returncode == 0 and len(snapshot(out)) == 16
