"""The Gradescope autograder, end to end without Docker.

Each test lays out Gradescope's tree in a temporary root (``source/`` = the
built autograder.zip extracted, ``run_autograder`` copied beside it,
``submission/``, ``results/``), runs the real ``setup.sh`` steps that are safe
here and the real ``run_autograder``, and checks results.json against a JSON
schema written from Gradescope's specification (independent of the kit's own
validator).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import jsonschema
import pytest

from deploy import intake
from deploy.gradescope import build as gs_build
from deploy.gradescope.results import problems

pytestmark = pytest.mark.slow  # end to end: the fast lane (make test-fast) leaves it out

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
MODULES = ("engine.py", "nn.py", "train.py")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
NOBODY = 65534

# Gradescope's results.json, from its "Autograder Specifications" page.
VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
NUMBER = {"type": "number"}
RESULTS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "score": NUMBER,
        "execution_time": NUMBER,
        "output": {"type": "string"},
        "output_format": FORMAT,
        "test_output_format": FORMAT,
        "test_name_format": FORMAT,
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "extra_data": {"type": "object"},
        "leaderboard": {"type": "array"},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "score": NUMBER,
                    "max_score": NUMBER,
                    "status": {"enum": ["passed", "failed"]},
                    "name": {"type": "string"},
                    "name_format": FORMAT,
                    "number": {"type": "string"},
                    "output": {"type": "string"},
                    "output_format": FORMAT,
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "visibility": VISIBILITY,
                    "extra_data": {"type": "object"},
                },
            },
        },
    },
    "anyOf": [
        {"required": ["score"]},
        {"required": ["tests"], "properties": {"tests": {"items": {"required": ["score"]}}}},
    ],
}


def validate(results: dict) -> None:
    """results.json as Gradescope accepts it, plus what this kit always promises."""
    jsonschema.validate(results, RESULTS_SCHEMA)
    assert problems(results) == []  # the driver's own validator agrees
    assert results["stdout_visibility"] == "hidden", "the grader's log is for instructors only"
    assert isinstance(results["execution_time"], (int, float))
    assert results["tests"], "at least one test, so the student sees why"
    for test in results["tests"]:
        assert {"name", "score", "max_score", "output", "visibility"} <= test.keys()
        assert 0 <= test["score"] <= test["max_score"] + 1e-9
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]), abs=0.02)


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory) -> Path:
    return gs_build.build(tmp_path_factory.mktemp("build") / "autograder.zip")


@pytest.fixture
def gradescope(tmp_path, autograder_zip) -> Path:
    """Gradescope's /autograder tree, in a temporary directory."""
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(root / "source")
    for name in ("setup.sh", "run_autograder"):  # zipfile does not restore modes
        (root / "source" / name).chmod(0o755)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    # Traversable by everyone, like /autograder: only setup.sh's lock keeps others out.
    tmp_path.chmod(0o755)
    root.chmod(0o755)
    return root


def run_setup(root: Path, steps: str, *, dry_run: bool) -> subprocess.CompletedProcess:
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "SETUP_STEPS": steps, "DRY_RUN": "1" if dry_run else "0"}
    return subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=root / "source", env=env,
                          check=False, capture_output=True, text=True, timeout=120)


def run_autograder(root: Path, python: str = sys.executable, **extra_env: str) -> dict:
    """Run run_autograder as Gradescope does (cwd /autograder) and return results.json."""
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "KIT_PYTHON": python, **extra_env}
    completed = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, check=False, capture_output=True,
                               text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    validate(results)
    return results


def submit_reference(submission: Path) -> None:
    for name in MODULES:
        shutil.copyfile(SOLUTIONS / name, submission / name)


def submit_relu_bug(submission: Path) -> None:
    """The reference with relu assigning ``out.backward`` instead of ``out._backward``."""
    submit_reference(submission)
    engine = (submission / "engine.py").read_text()
    start = engine.index("def relu")
    end = engine.index("return out", start)
    body = engine[start:end]
    assert "out._backward = _backward" in body
    (submission / "engine.py").write_text(engine[:start] + body.replace("out._backward", "out.backward") + engine[end:])


def tree_digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        digest.update(str(path.relative_to(directory)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def by_name(results: dict) -> dict[str, dict]:
    return {t["name"]: t for t in results["tests"]}


def rubric_titles() -> dict[str, str]:
    from autograder.rubric import load_rubric

    return {part_id: part.title for part_id, part in load_rubric().parts.items()}


# -- the zip ------------------------------------------------------------------------------------


def test_zip_has_gradescopes_two_files_at_its_root_and_the_grader(autograder_zip, tmp_path):
    with zipfile.ZipFile(autograder_zip) as archive:
        names = set(archive.namelist())
        modes = {info.filename: (info.external_attr >> 16) & 0o777 for info in archive.infolist()}
    assert {"setup.sh", "run_autograder", "requirements.txt", "torch-requirement.txt"} <= names
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111, "both scripts must be executable"
    assert {"autograder/rubric.toml", "autograder/grading/grade.py", "solutions/engine.py", "deploy/gradescope/run.py"} <= names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    # The same tree builds the same bytes.
    again = gs_build.build(tmp_path / "again.zip")
    assert again.read_bytes() == autograder_zip.read_bytes()


def test_requirements_leave_torch_to_the_cpu_index(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        requirements = archive.read("requirements.txt").decode().split()
        torch = archive.read("torch-requirement.txt").decode().strip()
    assert not [r for r in requirements if r.startswith("torch")]
    assert "pytest>=8" in requirements
    assert torch.startswith("torch==") and "+" not in torch


def test_make_gradescope_builds_the_zip(tmp_path):
    out = tmp_path / "autograder.zip"
    completed = subprocess.run(["make", "-s", "gradescope", f"GRADESCOPE_ZIP={out}"], cwd=ROOT,
                               check=False, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert zipfile.is_zipfile(out)


# -- setup.sh ------------------------------------------------------------------------------------


def test_setup_plans_apt_cpu_torch_the_sandbox_user_and_the_lock(gradescope):
    completed = run_setup(gradescope, "system python user secret permissions", dry_run=True)
    assert completed.returncode == 0, completed.stderr
    plan = completed.stdout
    if IS_ROOT and shutil.which("apt-get"):
        assert "apt-get install" in plan and "bubblewrap" in plan and "python3-numpy" in plan
    torch = (gradescope / "source" / "torch-requirement.txt").read_text().strip()
    assert f"--index-url https://download.pytorch.org/whl/cpu {torch}" in plan
    assert f"-r {gradescope}/source/requirements.txt" in plan
    if "user student exists" not in plan:
        assert "useradd --system --no-create-home" in plan and plan.rstrip().count("student")
    assert f"to {gradescope}/config/micrograd-kit/grader-secret" in plan
    for locked in ("source", "venv", "config", "results", "run_autograder"):
        assert f"chmod -R go-rwx {gradescope}/{locked}" in plan


@pytest.mark.skipif(not IS_ROOT or not shutil.which("setpriv"), reason="needs root and setpriv to switch uid")
def test_setup_locks_the_grader_away_from_an_unprivileged_user(gradescope):
    completed = run_setup(gradescope, "secret permissions", dry_run=False)
    assert completed.returncode == 0, completed.stderr
    secret = gradescope / "config" / "micrograd-kit" / "grader-secret"
    assert len(secret.read_text()) == 64

    def as_nobody(*command: str) -> subprocess.CompletedProcess:
        return subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command],
                              check=False, capture_output=True, text=True, timeout=60)

    for hidden in ("source/autograder/rubric.toml", "source/solutions/engine.py", "run_autograder",
                   "config/micrograd-kit/grader-secret"):
        assert as_nobody("cat", str(gradescope / hidden)).returncode != 0, f"{hidden} is readable"
    assert as_nobody("ls", str(gradescope / "source")).returncode != 0
    assert as_nobody("ls", str(gradescope / "results")).returncode != 0
    # ...while the sandbox's interpreter stays usable by that user.
    if Path("/usr/bin/python3").exists():
        assert as_nobody("/usr/bin/python3", "-c", "import math").returncode == 0
    # Locked down, the grader (root) still grades.
    submit_reference(gradescope / "submission")
    assert run_autograder(gradescope)["score"] == pytest.approx(100)


# -- run_autograder ------------------------------------------------------------------------------


def test_correct_submission_scores_full_marks(gradescope):
    submit_reference(gradescope / "submission")
    before = tree_digest(gradescope / "submission")
    results = run_autograder(gradescope)
    assert results["score"] == pytest.approx(100)
    assert all(t["score"] == pytest.approx(t["max_score"]) for t in results["tests"])
    assert set(by_name(results)) == set(rubric_titles().values()), "one test per rubric part"
    assert "Graded: engine.py, nn.py, train.py" in results["output"]
    assert tree_digest(gradescope / "submission") == before, "the submission must not be modified"


def test_relu_bug_loses_the_relu_points_only(gradescope):
    submit_relu_bug(gradescope / "submission")
    results = run_autograder(gradescope)
    tests = by_name(results)
    relu = tests[rubric_titles()["relu"]]
    assert relu["score"] < relu["max_score"]
    assert "_backward" in relu["output"], "the diagnosis names the fix"
    assert results["score"] < 100
    # nn.py and train.py are graded on the reference engine: an engine bug costs them nothing.
    from autograder.rubric import load_rubric

    for part in load_rubric().parts.values():
        if part.module != "engine":
            assert tests[part.title]["score"] == pytest.approx(part.points), part.id


def test_the_same_submission_gets_the_same_results_every_run(gradescope):
    submit_relu_bug(gradescope / "submission")
    first, second = run_autograder(gradescope), run_autograder(gradescope)
    for results in (first, second):
        del results["execution_time"]
    assert first == second


def test_a_zipped_repository_is_unpacked_and_graded(gradescope, tmp_path):
    repository = tmp_path / "my-repo" / "micrograd-assignment"
    shutil.copytree(ROOT / "micrograd_skeleton", repository / "micrograd_skeleton",
                    ignore=shutil.ignore_patterns("__pycache__"))
    submit_reference(repository / "micrograd_skeleton")
    archive = shutil.make_archive(str(tmp_path / "upload"), "zip", root_dir=tmp_path / "my-repo")
    shutil.copy(archive, gradescope / "submission" / "submission.zip")
    results = run_autograder(gradescope)
    assert results["score"] == pytest.approx(100)
    assert "repository with micrograd_skeleton/" in results["output"]


def test_uploaded_notebooks_are_graded(gradescope):
    notebooks = sorted((ROOT / "assignments" / "source").glob("*/*.ipynb"))
    if not notebooks:
        pytest.skip("the nbgrader course has no source notebooks")
    for notebook in notebooks:  # the instructor's versions hold the reference code
        shutil.copy(notebook, gradescope / "submission" / notebook.name)
    results = run_autograder(gradescope)
    assert results["score"] == pytest.approx(100)
    assert "Graded: notebooks" in results["output"]


def test_an_upload_with_nothing_to_grade_gets_a_clear_zero(gradescope):
    (gradescope / "submission" / "answers.pdf").write_bytes(b"%PDF-1.4 not code")
    results = run_autograder(gradescope)
    assert results["score"] == 0
    assert intake.NOTHING_FOUND in results["output"] and "answers.pdf" in results["output"]


def test_results_are_written_when_the_grader_itself_breaks(gradescope):
    submit_reference(gradescope / "submission")
    # The grader cannot even import its core. (Editing, not deleting: an editable
    # install of the kit would otherwise stand in for the missing package.)
    (gradescope / "source" / "autograder" / "grading" / "grade.py").write_text("def broken(:\n")
    (gradescope / "results" / "results.json").write_text('{"score": 100}')  # stale: must not survive
    results = run_autograder(gradescope)
    assert results["score"] == 0
    assert results["tests"][0]["output"] == intake.INTERNAL_ERROR


def test_results_are_written_when_python_is_missing(gradescope):
    submit_reference(gradescope / "submission")
    results = run_autograder(gradescope, python=str(gradescope / "no-such-python"))
    assert results["score"] == 0
    assert "could not start" in results["output"]


def test_results_are_written_when_grading_times_out(gradescope):
    submit_reference(gradescope / "submission")
    results = run_autograder(gradescope, GRADE_TIMEOUT="0.2")
    assert results["score"] == 0
    assert results["tests"][0]["output"] == intake.INTERNAL_ERROR
    # The driver stages submissions in <tmp>/gradescope-*; the grader's command line names that folder.
    pattern = f"autograder grade {tempfile.gettempdir()}/gradescope-"
    leftovers = subprocess.run(["pgrep", "-f", pattern], check=False, capture_output=True, text=True)
    assert leftovers.stdout == "", "the timed-out grader must not outlive run_autograder"


def test_rubric_visibility_reaches_results_json(gradescope):
    """A part the rubric hides until the due date is marked so in results.json."""
    rubric = gradescope / "source" / "autograder" / "rubric.toml"
    text = rubric.read_text()
    marker = "[parts.training]\n"
    assert marker in text
    rubric.write_text(text.replace(marker, marker + 'visibility = "after_due_date"\n'))
    submit_reference(gradescope / "submission")
    tests = by_name(run_autograder(gradescope))
    assert tests[rubric_titles()["training"]]["visibility"] == "after_due_date"
    assert tests[rubric_titles()["add"]]["visibility"] == "visible"


# -- staging (unit) -------------------------------------------------------------------------------


def test_staging_refuses_to_unpack_outside_and_skips_links(tmp_path):
    submission, staging = tmp_path / "submission", tmp_path / "staging"
    submission.mkdir()
    staging.mkdir()
    with zipfile.ZipFile(submission / "evil.zip", "w") as archive:
        archive.writestr("../../escaped.py", "x = 1")
        archive.writestr("/abs.py", "x = 1")
        archive.writestr("ok/engine.py", "x = 1")
    (submission / "link.py").symlink_to("/etc/passwd")
    intake.stage(submission, staging)
    assert not (tmp_path / "escaped.py").exists() and not list(tmp_path.rglob("escaped.py"))
    assert (staging / "evil" / "ok" / "engine.py").read_text() == "x = 1"
    assert not (staging / "link.py").exists()
    assert not list(staging.rglob("abs.py"))


def test_staging_caps_an_archive_bomb(tmp_path, monkeypatch):
    monkeypatch.setattr(intake, "MAX_BYTES", 1024 * 1024)
    submission, staging = tmp_path / "submission", tmp_path / "staging"
    submission.mkdir()
    staging.mkdir()
    with zipfile.ZipFile(submission / "bomb.zip", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\0" * (4 * 1024 * 1024))
    with pytest.raises(intake.StagingError):
        intake.stage(submission, staging)


def test_locate_prefers_a_repository_then_modules_then_notebooks(tmp_path):
    (tmp_path / "repo" / "micrograd_skeleton").mkdir(parents=True)
    (tmp_path / "repo" / "micrograd_skeleton" / "engine.py").write_text("")
    (tmp_path / "loose").mkdir()
    (tmp_path / "loose" / "engine.py").write_text("")
    assert intake.locate(tmp_path).path == tmp_path / "repo"
    shutil.rmtree(tmp_path / "repo")
    assert intake.locate(tmp_path).path == tmp_path / "loose"
    shutil.rmtree(tmp_path / "loose")
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "micrograd.ipynb").write_text("{}")
    assert intake.locate(tmp_path).path == tmp_path / "nb"
    shutil.rmtree(tmp_path / "nb")
    assert intake.locate(tmp_path) is None


def test_the_validator_catches_what_gradescope_rejects():
    good = {"score": 1.0, "stdout_visibility": "hidden", "tests": [{"name": "a", "score": 1, "max_score": 1}]}
    assert problems(good) == []
    assert problems({**good, "stdout_visibility": "students"})
    assert problems({**good, "score": float("nan")})
    assert problems({**good, "tests": [{"name": "a", "score": True}]})
    assert problems({**good, "tests": [{"name": "a", "score": 1, "visibility": "later"}]})
    assert problems({"tests": [{"name": "a"}]}), "a score is needed somewhere"


# -- setup.sh for real -------------------------------------------------------------------------

@pytest.mark.skipif(not IS_ROOT or not shutil.which("apt-get") or not Path("/usr/bin/python3").exists(),
                    reason="setup.sh installs system packages: needs root with apt-get, as in Gradescope's image")
def test_setup_sh_installs_for_real_and_every_kind_of_upload_is_graded(gradescope, tmp_path):
    """setup.sh, every step, as Gradescope runs it (root, a bare PATH without this project's Python): Debian
    packages, a new venv from the system's python3 with the pinned CPU torch from the package index, then
    run_autograder on a zipped repository, loose files and a notebook upload."""
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(tmp_path / "home"),
           "AUTOGRADER_ROOT": str(gradescope), "TORCH_INDEX": "", "LANG": "C.UTF-8"}
    # No PyTorch index is reachable here: the CPU wheel comes from this machine's find-links folder instead
    # (without it, pip's index serves the multi-GB CUDA build, which the assertion below refuses).
    env.update({k: v for k, v in os.environ.items() if k == "PIP_FIND_LINKS"})
    started = time.monotonic()
    done = subprocess.run(["bash", str(gradescope / "source" / "setup.sh")], cwd=gradescope / "source", env=env,
                          capture_output=True, text=True, timeout=1800)
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    venv = gradescope / "venv"
    size = subprocess.run(["du", "-sh", str(venv)], capture_output=True, text=True).stdout.split()[0]
    print(f"\nsetup.sh: {elapsed:.0f} s; venv {size}")
    installed = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
                               capture_output=True, text=True, check=True).stdout.lower()
    assert "torch==" in installed and not any(name in installed for name in ("nbgrader", "jupyterlab", "scikit"))
    assert "nvidia-" not in installed, "the CUDA build of torch was installed"
    assert Path(os.path.realpath(venv / "bin" / "python")).is_relative_to("/usr/bin")

    def grade(upload) -> dict:
        shutil.rmtree(gradescope / "submission")
        (gradescope / "submission").mkdir()
        upload(gradescope / "submission")
        return run_autograder(gradescope, python=str(venv / "bin" / "python"))

    def zipped_repository(folder: Path) -> None:
        repository = tmp_path / "repo" / "micrograd-assignment"
        shutil.copytree(ROOT / "examples/submissions/relu_bug", repository, dirs_exist_ok=True)
        shutil.copy(shutil.make_archive(str(tmp_path / "upload"), "zip", root_dir=tmp_path / "repo"),
                    folder / "submission.zip")

    relu_bug = grade(zipped_repository)
    assert by_name(relu_bug)[rubric_titles()["relu"]]["score"] == 0
    assert relu_bug["extra_data"]["isolation"]
    assert grade(submit_reference)["score"] == pytest.approx(100)
    notebook = ROOT / "assignments" / "source" / "value_engine" / "value_engine.ipynb"
    assert grade(lambda folder: shutil.copy(notebook, folder / notebook.name))["score"] < 100


def test_one_assignment_zip_grades_a_notebook_upload_without_mentioning_other_files(tmp_path):
    """A value_engine-only autograder.zip: a notebook upload of that assignment gets 60/60, and no word
    about nn.py or train.py, which its students never had."""
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "results").mkdir()
    with zipfile.ZipFile(gs_build.build(tmp_path / "ve.zip", "value_engine")) as archive:
        archive.extractall(root / "source")
    shutil.copy(ROOT / "assignments/source/value_engine/value_engine.ipynb", root / "submission")
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "KIT_PYTHON": sys.executable}
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    subprocess.run([str(root / "run_autograder")], cwd=root, env=env, check=True, capture_output=True, timeout=300)
    results = json.loads((root / "results" / "results.json").read_text())
    validate(results)
    assert results["score"] == pytest.approx(60) and sum(t["max_score"] for t in results["tests"]) == 60
    assert "nn.py" not in json.dumps(results) and "train.py" not in json.dumps(results)
