"""PrairieLearn, Classroom 50 and GitHub Actions, through each platform's own entry point.

Each platform's result format is checked field by field against a validator
written here from the platform's own documentation or source (PrairieLearn's
docs/externalGrading.md; Classroom 50's runner.py ``validate_result``), not
from the kit's code, and its per-part scores are compared with
``python -m autograder grade --format json`` on the same submission.
Nothing the kit runs is mocked: the simulated roots stand in for the
platforms' containers and runners, which Docker-less CI cannot start.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from autograder.rubric import load_rubric
from deploy.classroom50 import build as c50_build
from deploy.github import template as gh_template
from deploy.prairielearn import build as pl_build

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "submissions"
THREE = ("correct", "relu_bug", "untouched_skeleton")
RUBRIC = load_rubric()


def cli_parts(path: Path, assignment: str | None = None) -> dict[str, float]:
    """Per-part scores from the grader's own command line (the reference every platform must match)."""
    command = [sys.executable, "-m", "autograder", "grade", str(path), "--format", "json"]
    if assignment:
        command += ["--assignment", assignment]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=True)
    return {part: entry["score"] for part, entry in json.loads(done.stdout)["parts"].items()}


def module_files(example: str, assignment: str) -> dict[str, Path]:
    package = EXAMPLES / example / "micrograd_skeleton"
    return {f"{m}.py": package / f"{m}.py" for m in RUBRIC.for_assignment(assignment).modules}


# -- PrairieLearn ------------------------------------------------------------------------------

def validate_prairielearn(results: dict) -> None:
    """docs/externalGrading.md: score in [0, 1] when gradable; tests with name, points, max_points,
    output, message; under 1 MB."""
    assert isinstance(results, dict)
    assert len(json.dumps(results)) < 1_000_000
    gradable = results.get("gradable", True)
    assert isinstance(gradable, bool)
    if not gradable:
        assert results.get("format_errors")
        return
    assert isinstance(results["score"], (int, float)) and not isinstance(results["score"], bool)
    assert 0.0 <= results["score"] <= 1.0
    assert isinstance(results.get("message", ""), str) and isinstance(results.get("output", ""), str)
    for test in results["tests"]:
        assert isinstance(test["name"], str) and test["name"]
        assert isinstance(test["points"], (int, float)) and isinstance(test["max_points"], (int, float))
        assert 0 <= test["points"] <= test["max_points"]
        assert isinstance(test["output"], str) and isinstance(test["message"], str)


@pytest.fixture(scope="module")
def prairielearn_course(tmp_path_factory) -> Path:
    return pl_build.build(tmp_path_factory.mktemp("pl") / "out") / "course"


def grade_in_prairielearn(course: Path, tmp_path: Path, files: dict[str, Path], assignment: str) -> dict:
    """A /grade tree as PrairieLearn lays it out, the question's entrypoint run as in its info.json."""
    grade = tmp_path / "grade"
    shutil.copytree(course / "serverFilesCourse", grade / "serverFilesCourse")
    (grade / "student").mkdir()
    (grade / "data").mkdir()
    (grade / "data" / "data.json").write_text(json.dumps({"submitted_answers": {}}))
    for name, source in files.items():
        shutil.copyfile(source, grade / "student" / name)
    info = json.loads((course / "questions" / "micrograd" / assignment / "info.json").read_text())
    entrypoint = info["externalGradingOptions"]["entrypoint"].split()
    assert entrypoint[0].startswith("/grade/serverFilesCourse/")
    command = ["sh", str(grade / entrypoint[0].removeprefix("/grade/")), *entrypoint[1:]]
    env = {**os.environ, "PL_GRADE_ROOT": str(grade), "KIT_PYTHON": sys.executable}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((grade / "results" / "results.json").read_text())
    validate_prairielearn(results)
    return results


@pytest.mark.parametrize("assignment", sorted(RUBRIC.assignments))
@pytest.mark.parametrize("example", THREE)
def test_prairielearn_agrees_with_the_grader(prairielearn_course, tmp_path, example, assignment):
    results = grade_in_prairielearn(prairielearn_course, tmp_path, module_files(example, assignment), assignment)
    expected = cli_parts(EXAMPLES / example, assignment)
    titles = {RUBRIC.parts[p].title: p for p in expected}
    assert {titles[t["name"]]: t["points"] for t in results["tests"]} == expected
    total = sum(RUBRIC.parts[p].points for p in expected)
    assert results["score"] == pytest.approx(sum(expected.values()) / total, abs=1e-6)
    assert "isolation:" in results["output"]
    other = {m for m in ("engine", "nn", "train") if m not in RUBRIC.for_assignment(assignment).modules}
    assert not any(f"{m}.py" in json.dumps(results) for m in other), "the other assignment's files are not mentioned"


def test_prairielearn_grades_a_notebook_upload(prairielearn_course, tmp_path):
    notebook = ROOT / "assignments" / "source" / "value_engine" / "value_engine.ipynb"
    results = grade_in_prairielearn(prairielearn_course, tmp_path, {notebook.name: notebook}, "value_engine")
    assert results["score"] == pytest.approx(1.0)
    assert "nn.py" not in json.dumps(results)


def test_prairielearn_nothing_to_grade_is_not_gradable(prairielearn_course, tmp_path):
    stray = tmp_path / "notes.txt"
    stray.write_text("no code")
    results = grade_in_prairielearn(prairielearn_course, tmp_path / "root", {"notes.txt": stray}, "value_engine")
    assert results["gradable"] is False and "notes.txt" in results["format_errors"][0]


@pytest.mark.skipif(os.geteuid() != 0, reason="locking the course files needs root, as in the container")
def test_prairielearn_locks_the_course_files_away_from_student_code(prairielearn_course, tmp_path):
    grade_in_prairielearn(prairielearn_course, tmp_path, module_files("correct", "value_engine"), "value_engine")
    for path in (tmp_path / "grade" / "serverFilesCourse").rglob("*"):
        assert path.stat().st_mode & 0o077 == 0, path


def test_prairielearn_image_holds_no_grader_and_questions_are_valid(tmp_path):
    out = pl_build.build(tmp_path / "pl")
    image = sorted(p.relative_to(out / "image").as_posix() for p in (out / "image").rglob("*"))
    assert image == ["Dockerfile", "requirements.txt", "torch-requirement.txt"]
    dockerfile = (out / "image" / "Dockerfile").read_text()
    assert "download.pytorch.org/whl/cpu" in dockerfile and "COPY" in dockerfile and "solutions" not in dockerfile
    assert not any(r.startswith(("nbgrader", "jupyterlab", "scikit")) for r in
                   (out / "image" / "requirements.txt").read_text().split())
    uuids = set()
    for info_file in (out / "course" / "questions").rglob("info.json"):
        info = json.loads(info_file.read_text())
        assert info["gradingMethod"] == "External" and info["externalGradingOptions"]["enabled"] is True
        assert 0 < info["externalGradingOptions"]["timeout"] <= 600
        assert info["externalGradingOptions"]["serverFilesCourse"] == ["micrograd/"]
        uuids.add(info["uuid"])
    assert len(uuids) == len(RUBRIC.assignments)
    secret = out / "course/serverFilesCourse/micrograd/config/micrograd-kit/grader-secret"
    first = secret.read_text()
    pl_build.build(out)
    assert secret.read_text() == first, "a rebuild keeps the secret (the same inputs, the same scores)"


# -- Classroom 50 -------------------------------------------------------------------------------

def validate_classroom50(data: dict, *, classroom: str, assignment: str, owner: str) -> None:
    """Classroom 50's runner.py ``validate_result`` (which mirrors its score collector), field by field."""
    assert data["schema"] == "classroom50/result/v1"
    assert data["classroom"] == classroom and data["assignment"] == assignment
    assert isinstance(data["owner"], str) and data["owner"].lower() == owner.lower()
    assert data["assignment_type"] == "individual"
    assert isinstance(data["submission"], str) and data["submission"].startswith("submit/")
    for field in ("commit", "release", "review", "datetime"):
        assert isinstance(data[field], str) and data[field]
    for key in ("score", "max-score"):
        assert isinstance(data[key], int) and not isinstance(data[key], bool) and data[key] >= 0
    assert data["score"] <= data["max-score"]
    assert isinstance(data["tests"], list)
    for test in data["tests"]:
        assert isinstance(test["test-name"], str) and test["test-name"]
        assert len(test["test-name"].encode()) <= 100 and not any(ord(c) < 0x20 for c in test["test-name"])
        assert isinstance(test["passed"], bool)
        for key in ("score", "max-score"):
            assert isinstance(test[key], int) and not isinstance(test[key], bool) and test[key] >= 0
        assert test["score"] <= test["max-score"]


def classroom50_env(slug: str, tmp_path: Path) -> dict[str, str]:
    return {"CLASSROOM": "ml101", "ASSIGNMENT": slug, "USERNAME": "alice",
            "SUBMISSION_TAG": "submit/2026-12-02T10-00-00Z-abc1234",
            "COMMIT_URL": "https://github.com/ml101/ml101-value-engine-alice/commit/abc1234",
            "RELEASE_URL": "https://github.com/ml101/ml101-value-engine-alice/releases/tag/submit",
            "REVIEW_URL": "https://github.com/ml101/ml101-value-engine-alice/compare/a...b",
            "RUNNER_TEMP": str(tmp_path / "runner-temp"), "MICROGRAD_GRADER_SECRET": "test-secret"}


def parts_of_classroom50(data: dict) -> dict[str, float]:
    return {t["test-name"].split(":")[0]: t["score"] / 100 for t in data["tests"]}


def test_classroom50_autograder_as_its_runner_runs_it(tmp_path):
    """The published bundle, unpacked and run as Classroom 50's runner.py does: cwd the student's
    checkout, its identity in the environment; the private bundle from a path (a self-hosted runner)."""
    built = tmp_path / "c50"
    c50_build.build(built, bundle_location=str(built / "private" / "micrograd-grader-0.1.0.tar.gz"))
    published = built / "autograders" / "value-engine.tar.gz"
    with tarfile.open(published) as archive:
        names = archive.getnames()
        texts = {n: archive.extractfile(n).read().decode() for n in names if archive.getmember(n).isfile()}
        archive.extractall(tmp_path / "pages")
    assert sorted(names) == ["value-engine/autograder.py", "value-engine/grader.json"]
    from tools.build_student_wheel import leaks
    assert leaks(texts) == [], "the public bundle holds no reference code"
    checkout = tmp_path / "checkout"
    shutil.copytree(EXAMPLES / "relu_bug", checkout)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"), **classroom50_env("value-engine", tmp_path),
           "CLASSROOM50_BUNDLE_DIR": str(tmp_path / "pages" / "value-engine")}
    (tmp_path / "runner-temp").mkdir()
    settings = json.loads((tmp_path / "pages/value-engine/grader.json").read_text())
    settings["torch_index"] = ""  # this machine's package index (no internet here)
    (tmp_path / "pages/value-engine/grader.json").write_text(json.dumps(settings))
    done = subprocess.run([sys.executable if os.geteuid() else "/usr/bin/python3",
                           str(tmp_path / "pages/value-engine/autograder.py")], cwd=checkout, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads((checkout / "result.json").read_text())
    validate_classroom50(data, classroom="ml101", assignment="value-engine", owner="alice")
    assert parts_of_classroom50(data) == cli_parts(EXAMPLES / "relu_bug", "value_engine")
    body = (checkout / "release-body.md").read_text()
    assert "backward-not-underscore" in body


def test_classroom50_refuses_a_bundle_that_is_not_the_pinned_one(tmp_path):
    built = tmp_path / "c50"
    c50_build.build(built, bundle_location=str(tmp_path / "swapped.tar.gz"))
    (tmp_path / "swapped.tar.gz").write_bytes((built / "private" / "micrograd-grader-0.1.0.tar.gz").read_bytes()
                                              + b"\0")
    checkout = tmp_path / "checkout"
    shutil.copytree(EXAMPLES / "correct", checkout)
    env = {"PATH": "/usr/bin:/bin", **classroom50_env("value-engine", tmp_path),
           "CLASSROOM50_BUNDLE_DIR": str(built / "autograders" / "value-engine")}
    done = subprocess.run([sys.executable, str(built / "autograders/value-engine/autograder.py")], cwd=checkout,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "not the pinned" in done.stderr
    assert not (checkout / "result.json").exists(), "no result: the runner then reports an error, not a score"


@pytest.mark.parametrize("example", THREE)
def test_classroom50_results_agree_with_the_grader(tmp_path, example):
    """What the runner's last step runs (deploy.ci, from the installed bundle), for each example."""
    env = {**os.environ, **classroom50_env("neural-net", tmp_path)}
    out = tmp_path / "out"
    subprocess.run([sys.executable, "-m", "deploy.ci", "grade", str(EXAMPLES / example), "--out", str(out),
                    "--assignment", "neural_net", "--classroom50"], cwd=ROOT, env=env, check=True, timeout=300,
                   capture_output=True)
    data = json.loads((out / "classroom50" / "result.json").read_text())
    validate_classroom50(data, classroom="ml101", assignment="neural-net", owner="alice")
    assert parts_of_classroom50(data) == cli_parts(EXAMPLES / example, "neural_net")
    assert json.loads((out / "provenance.json").read_text())["isolation"]


# -- GitHub Actions ----------------------------------------------------------------------------

def test_github_template_is_valid_and_holds_no_answers(tmp_path):
    out = gh_template.write_template(tmp_path / "template", "0" * 64, ci_grade=True)
    workflow = yaml.safe_load((out / ".github/workflows/micrograd.yml").read_text())
    jobs = workflow["jobs"]
    assert set(jobs) == {"public-checks", "grade"}
    assert "needs" not in jobs["grade"], "the grade never waits for, or shares a machine with, the public checks"
    grade_steps = " ".join(s.get("run", "") for s in jobs["grade"]["steps"])
    assert "pytest" not in grade_steps and "0" * 64 in grade_steps and "env -i" in grade_steps
    assert not (out / "autograder").exists() and not (out / "solutions").exists()
    assert gh_template.leaks(out) == []
    with pytest.raises(ValueError):
        gh_template.workflow("not-a-digest")


def test_ci_reports_for_github(tmp_path):
    """deploy.ci's reports: JUnit, the job summary with diagnoses, the commit status, provenance."""
    out = tmp_path / "out"
    subprocess.run([sys.executable, "-m", "deploy.ci", "grade", str(EXAMPLES / "relu_bug"), "--out", str(out)],
                   cwd=ROOT, check=True, timeout=300, capture_output=True)
    result = json.loads((out / "result.json").read_text())
    assert {p: e["score"] for p, e in result["parts"].items()} == cli_parts(EXAMPLES / "relu_bug")
    summary = (out / "summary.md").read_text()
    relu_row = next(line for line in summary.splitlines() if line.startswith("| ❌ | ReLU"))
    assert "backward-not-underscore" in relu_row and "0 / 6" in relu_row
    assert f"{result['score']:g} / 100" in summary.splitlines()[0]
    status = json.loads((out / "status.json").read_text())
    assert status == {"state": "failure", "description": f"micrograd: {result['score']:g}/100 points"}
    import xml.etree.ElementTree as ET
    assert ET.parse(out / "junit.xml").getroot().tag == "testsuites"
    assert len(json.loads((out / "provenance.json").read_text())["workflow_sha256"]) == 64
