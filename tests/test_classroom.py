"""The GitHub Classroom template: its files, its workflow, and the grading step's real output.

The grading step is not re-typed here: the test reads the ``run:`` script of
the workflow's ``grade`` step and runs it with bash, in a workspace laid out as
the runner lays it out (``submission/`` = the student's repository,
``grader/`` = the instructor's autograder), then decodes the step's
``result`` output exactly as the autograding reporter does.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from autograder.reporters import classroom as reporter
from autograder.rubric import load_rubric
from deploy.classroom import template
from deploy.classroom.__main__ import summary

pytestmark = pytest.mark.slow  # end to end: the fast lane (make test-fast) leaves it out

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
MODULES = ("engine.py", "nn.py", "train.py")
REPORTER_ACTION = "classroom-resources/autograding-grading-reporter@v1"


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return template.write_template(tmp_path_factory.mktemp("classroom") / "template")


@pytest.fixture(scope="module")
def workflow(repo) -> dict:
    return yaml.safe_load((repo / ".github" / "workflows" / "classroom.yml").read_text())


def steps_by_name(workflow: dict) -> dict[str, dict]:
    return {step["name"]: step for step in workflow["jobs"]["run-autograding-tests"]["steps"]}


def grade_step(workflow: dict) -> dict:
    return next(s for s in workflow["jobs"]["run-autograding-tests"]["steps"] if s.get("id") == "grade")


def student_repo(repo: Path, destination: Path, *, relu_bug: bool = False) -> Path:
    """A student's repository: the template with the reference's modules filled in."""
    shutil.copytree(repo, destination)
    for name in MODULES:
        shutil.copyfile(SOLUTIONS / name, destination / "micrograd_skeleton" / name)
    if relu_bug:
        engine = destination / "micrograd_skeleton" / "engine.py"
        text = engine.read_text()
        start, end = text.index("def relu"), text.index("return out", text.index("def relu"))
        engine.write_text(text[:start] + text[start:end].replace("out._backward", "out.backward") + text[end:])
    return destination


def run_grade_step(workflow: dict, workspace: Path) -> tuple[dict, str]:
    """Run the workflow's grade step as the runner would; return (decoded result, step summary)."""
    (workspace / "grader").symlink_to(ROOT)  # the instructor's autograder, as fetched
    runner_temp = workspace / "runner-temp"
    runner_temp.mkdir()
    outputs, step_summary = workspace / "github-output", workspace / "step-summary"
    outputs.touch()
    step_summary.touch()
    env = {
        **os.environ,
        # `command -v python` in the step must find the grader's environment.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_WORKSPACE": str(workspace),
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(step_summary),
    }
    step = grade_step(workflow)
    cwd = workspace / step.get("working-directory", ".")
    # GitHub runs `run:` scripts with `bash -e {0}` on Linux.
    completed = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=cwd, env=env, check=False, capture_output=True,
                               text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = dict(line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line)
    # What autograding-grading-reporter does with GRADE_RESULTS.
    return json.loads(base64.b64decode(lines["result"]).decode("utf-8")), step_summary.read_text()


def classroom_points(result: dict) -> tuple[float, float]:
    """(totalPoints, maxPoints) as the reporter's NotifyClassroom computes them."""
    return sum(test["score"] for test in result["tests"]), result["max_score"]


# -- the template ---------------------------------------------------------------------------------


def test_template_has_the_skeleton_public_tests_readme_and_workflow(repo):
    for name in ("README.md", "pytest.ini", "requirements.txt", ".gitignore", ".github/workflows/classroom.yml",
                 "micrograd_skeleton/engine.py", "micrograd_skeleton/tests/test_engine.py"):
        assert (repo / name).is_file(), name
    for path in (ROOT / "micrograd_skeleton").rglob("*.py"):
        if "__pycache__" not in path.parts:
            copied = repo / path.relative_to(ROOT)
            assert copied.read_text() == path.read_text(), f"{copied} differs from the generated skeleton"


def test_no_hidden_check_or_reference_reaches_the_student(repo):
    names = {p.name for p in repo.rglob("*")}
    assert not names & {"autograder", "solutions", "rubric.toml", "checks"}
    reference_relu = (SOLUTIONS / "engine.py").read_text().split("def relu", 1)[1].split("def ", 1)[0]
    body = "".join(line.strip() for line in reference_relu.splitlines() if "_backward" in line)
    assert body not in (repo / "micrograd_skeleton" / "engine.py").read_text()


def test_public_tests_fail_on_the_skeleton_and_pass_when_filled_in(repo, tmp_path):
    def pytest_in(directory: Path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider"], cwd=directory,
                              check=False, capture_output=True, text=True, timeout=300)

    skeleton = pytest_in(repo)
    assert skeleton.returncode == 1 and "NotImplementedError" in skeleton.stdout
    filled = pytest_in(student_repo(repo, tmp_path / "student"))
    assert filled.returncode == 0, filled.stdout


def test_make_classroom_writes_the_template_and_bundle(tmp_path):
    out = tmp_path / "template"
    completed = subprocess.run(["make", "-s", "classroom", f"CLASSROOM_DIR={out}"], cwd=ROOT,
                               check=False, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert (out / ".github" / "workflows" / "classroom.yml").is_file()


# -- the workflow ---------------------------------------------------------------------------------


def test_workflow_is_what_classroom_and_its_reporter_require(workflow):
    # Classroom reads the grade only from a workflow of this name with this one job.
    assert workflow["name"] == "Autograding Tests"
    assert list(workflow["jobs"]) == ["run-autograding-tests"]
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "workflow_dispatch", "repository_dispatch"} <= set(triggers)
    assert workflow["permissions"]["checks"] == "write"
    names = list(steps_by_name(workflow))
    expected = [
        "Check out your work",
        "Set up Python",
        "Public tests (feedback only)",
        "Fetch the hidden autograder (private repository)",
        "Fetch the hidden autograder (release asset)",
        "Install the autograder",
        "Grade with the hidden autograder",
        "Remove the autograder",
        "Report the grade to GitHub Classroom",
    ]
    assert names == expected


def test_public_tests_give_feedback_without_deciding_the_grade(workflow):
    step = steps_by_name(workflow)["Public tests (feedback only)"]
    assert step["continue-on-error"] is True
    assert "python -m pytest" in step["run"]
    assert step["working-directory"] == "submission"


def test_the_hidden_autograder_comes_from_an_instructor_controlled_source(workflow):
    steps = steps_by_name(workflow)
    private = steps["Fetch the hidden autograder (private repository)"]
    assert private["uses"].startswith("actions/checkout@")
    assert private["with"]["repository"] == "${{ vars.AUTOGRADER_REPO }}"
    assert private["with"]["token"] == "${{ secrets.AUTOGRADER_TOKEN }}"
    assert private["with"]["path"] == "grader"
    assert private["with"]["persist-credentials"] is False, "the token must not stay on disk for student code"
    release = steps["Fetch the hidden autograder (release asset)"]
    assert "gh release download" in release["run"] and release["env"]["GH_TOKEN"] == "${{ secrets.AUTOGRADER_TOKEN }}"
    assert {private["if"], release["if"]} == {"vars.AUTOGRADER_SOURCE != 'release'", "vars.AUTOGRADER_SOURCE == 'release'"}
    install = steps["Install the autograder"]["run"]
    torch = template.torch_spec()
    assert f"--index-url https://download.pytorch.org/whl/cpu \"{torch}\"" in install
    assert steps["Remove the autograder"]["if"] == "always()"


def test_the_token_never_reaches_a_step_that_runs_student_code(workflow):
    steps = steps_by_name(workflow)
    for name in ("Public tests (feedback only)", "Grade with the hidden autograder"):
        assert "AUTOGRADER_TOKEN" not in json.dumps(steps[name]), name
    text = yaml.safe_dump(workflow)
    assert set(re.findall(r"secrets\.(\w+)", text)) == {"AUTOGRADER_TOKEN", "MICROGRAD_GRADER_SECRET"}


def test_the_reporter_reads_the_grade_steps_result(workflow):
    steps = steps_by_name(workflow)
    report = steps["Report the grade to GitHub Classroom"]
    assert report["uses"] == REPORTER_ACTION
    runners = report["with"]["runners"].split(",")
    assert runners == ["grade"]
    step_ids = {s.get("id") for s in steps.values()}
    for runner in runners:
        assert runner in step_ids
        # The reporter reads process.env[`${runner.toUpperCase()}_RESULTS`].
        assert report["env"][f"{runner.upper()}_RESULTS"] == f"${{{{ steps.{runner}.outputs.result }}}}"
    assert "--format classroom" in grade_step(workflow)["run"]


# -- the grade step, for real ---------------------------------------------------------------------


def test_grade_step_reports_weighted_points_for_a_correct_submission(workflow, repo, tmp_path):
    student_repo(repo, tmp_path / "submission")
    result, step_summary = run_grade_step(workflow, tmp_path)
    rubric = load_rubric()
    assert result["version"] == 1 and result["status"] == "pass"
    assert classroom_points(result) == (pytest.approx(rubric.total), rubric.total)
    scores = {t["name"].split(":", 1)[0]: t["score"] for t in result["tests"]}
    assert scores == {part_id: part.points for part_id, part in rubric.parts.items()}
    assert len(set(scores.values())) > 1, "weighted by the rubric, not an equal share per test"
    assert all(t["status"] == "pass" for t in result["tests"])
    assert f"{rubric.total:g} / {rubric.total:g} points" in step_summary


def test_grade_step_reports_the_relu_bug(workflow, repo, tmp_path):
    student_repo(repo, tmp_path / "submission", relu_bug=True)
    result, step_summary = run_grade_step(workflow, tmp_path)
    rubric = load_rubric()
    tests = {t["name"].split(":", 1)[0]: t for t in result["tests"]}
    relu = tests.pop("relu")
    assert relu["status"] == "fail" and relu["score"] < rubric.parts["relu"].points
    assert "_backward" in relu["message"]
    # nn.py and train.py are graded on the reference engine: an engine bug costs them nothing.
    assert all(t["score"] == rubric.parts[p].points for p, t in tests.items() if rubric.parts[p].module != "engine")
    total, maximum = classroom_points(result)
    assert maximum == rubric.total
    assert total == pytest.approx(relu["score"] + sum(t["score"] for t in tests.values()))
    assert total < rubric.total
    assert result["status"] == "fail"
    assert "What to fix" in step_summary


# -- the reporter and the bundle (units) ---------------------------------------------------------


def contract_result() -> dict:
    """A hand-written result in the contract's shape (CONTRACT.md section 3)."""
    return {
        "score": 13.5,
        "max_score": 20,
        "parts": {
            "add": {"score": 6, "max_score": 6, "title": "Addition"},
            "relu": {"score": 1.5, "max_score": 6, "title": "ReLU"},
            "training": {"score": 6, "max_score": 8, "title": "Training"},
        },
        "tests": [
            {"name": "add: values", "part": "add", "score": 6, "max_score": 6, "status": "passed", "message": ""},
            {"name": "relu: gradient", "part": "relu", "score": 0, "max_score": 4.5, "status": "failed",
             "message": "relu's gradient never reached its input: assign out._backward"},
            {"name": "relu: value", "part": "relu", "score": 1.5, "max_score": 1.5, "status": "passed", "message": ""},
            {"name": "training: trajectory", "part": "training", "score": 0, "max_score": 2, "status": "failed",
             "message": "hidden input 0.123 gave 0.5"},
        ],
    }


def test_reporter_weights_each_part_and_withholds_hidden_diagnoses():
    report = reporter.report(contract_result(), visibilities={"add": "visible", "relu": "visible",
                                                                "training": "after_due_date"})
    tests = {t["name"].split(":", 1)[0]: t for t in report["tests"]}
    assert report["max_score"] == 20 and sum(t["score"] for t in report["tests"]) == 13.5
    assert tests["add"]["status"] == "pass" and tests["add"]["message"] == ""
    assert tests["relu"]["status"] == "fail" and "out._backward" in tests["relu"]["message"]
    assert tests["training"]["message"] == reporter.WITHHELD, "no hidden input may leak into the public log"
    assert report["status"] == "fail"
    assert json.loads(reporter.render(contract_result())) == reporter.report(contract_result())


def test_summary_is_a_markdown_table_of_parts():
    text = summary(reporter.report(contract_result(), visibilities={}))
    assert "13.5 / 20 points" in text
    assert "| ✅ | add: Addition | 6/6 |" in text
    assert "| ❌ | relu: ReLU | 1.5/6 |" in text


def test_bundle_holds_the_grader_and_grades_from_its_own_files(tmp_path, repo):
    bundle = template.write_bundle(tmp_path / template.BUNDLE_NAME)
    with tarfile.open(bundle) as archive:
        names = set(archive.getnames())
        archive.extractall(tmp_path / "grader", filter="data")
    assert {"pyproject.toml", "autograder/rubric.toml", "solutions/engine.py", "deploy/classroom/__main__.py"} <= names
    assert not [n for n in names if "__pycache__" in n]
    submission = student_repo(repo, tmp_path / "submission")
    completed = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submission), "--format", "json"],
                               cwd=tmp_path / "grader", check=False, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["score"] == pytest.approx(load_rubric().total)
