"""The student distribution holds no answer, and is all a student needs (issue 11).

The wheel (``tools/build_student_wheel.py``) is installed into a fresh virtual
environment without PyTorch and without the kit.  There: the reference and the
grader cannot be imported, no installed file holds a solution region or a
reference method body, the released notebooks run top to bottom in that
environment's own kernel with the solution filled in and every check passing,
and with each of six classic bugs filled in, the bug's own check cell fails
and its output names the bug.  Also with real nbgrader: ``nbgrader validate``
fails on the untouched release and on a relu bug (naming relu), passes on the
solution; and nothing a kit command does overwrites an edited notebook.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tools import build_student_wheel, course

pytestmark = pytest.mark.slow  # a fresh environment, real kernels, real nbgrader

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ASSIGNMENTS = ("value_engine", "neural_net")
BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)
# bug -> (mutant in tests/submissions/engine/mutants.py, the check cell that must fail, the key it names)
CLASSIC_BUGS = {
    "`=` instead of `+=`": ("add_assign", "add", "assign-not-accumulate"),
    "no `out.grad` factor": ("mul_no_chain", "mul", "missing-chain-factor"),
    "relu assigns `out.backward`": ("relu_out_backward_slots", "relu", "backward-not-underscore"),
    "`__truediv__` returns a float": ("truediv_raw_data", "truediv", "not-a-value"),
    "topological sort without a visited set": ("backward_no_visited", "backward", "backward-no-visited"),
    "no `__rmul__`": ("no_rmul", "mul", "missing-reflected"),
}


def _mutants() -> dict:
    spec = importlib.util.spec_from_file_location("engine_mutants", ROOT / "tests/submissions/engine/mutants.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return {m.name: m for m in module.MUTANTS}


def run(*argv, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=900, **kwargs)


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    """A fresh venv with the student wheel (and its notebook extra) and a kernel of its own."""
    tmp = tmp_path_factory.mktemp("student")
    wheel = build_student_wheel.build(tmp / "dist")
    venv = tmp / "venv"
    done = run(BASE_PYTHON, "-m", "venv", venv)
    assert done.returncode == 0, done.stderr
    python = venv / "bin" / "python"
    done = run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", f"{wheel}[notebook]", "pytest")
    assert done.returncode == 0, done.stdout + done.stderr
    kernels = tmp / "kernels"
    done = run(python, "-m", "ipykernel", "install", "--prefix", kernels, "--name", "student")
    assert done.returncode == 0, done.stderr
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    return {"tmp": tmp, "wheel": wheel, "python": python, "site": site, "jupyter_path": kernels / "share" / "jupyter"}


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """A copy of the course with its release made by the real ``nbgrader generate_assignment``."""
    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "assignments" / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "assignments" / "source", root / "source")
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    for assignment in ASSIGNMENTS:
        done = run(BIN / "nbgrader", "generate_assignment", assignment, "--create", cwd=root, env=env)
        assert done.returncode == 0, done.stderr
    return root


def filled(release: Path, assignment: str, patches=()) -> nbformat.NotebookNode:
    """The released notebook with the reference's solution cells filled in (then ``patches`` applied)."""
    source = nbformat.read(release / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    solutions = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.read(release / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            text = solutions[grade_id]
            for old, new in patches:
                if old in text:
                    text = text.replace(old, new)
            cell.source = text
    return nb


def execute(nb, cwd: Path, student, allow_errors: bool) -> nbformat.NotebookNode:
    """Run ``nb`` top to bottom in the student environment's own kernel."""
    previous = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(student["jupyter_path"])
    try:
        NotebookClient(nb, kernel_name="student", timeout=600, allow_errors=allow_errors,
                       resources={"metadata": {"path": str(cwd)}}).execute()
    finally:
        if previous is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = previous
    return nb


def output_text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts.append(f"{output.get('ename', '')}: {output.get('evalue', '')}")
        parts += output.get("traceback", [])
    return "\n".join(parts)


def check_cell(nb, part: str):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == f"check_{part}")


# -- the wheel and the installed environment ------------------------------------------------------
def test_the_wheel_holds_the_two_student_packages_and_no_answer(student):
    assert build_student_wheel.check(student["wheel"]) == []


def test_no_answer_can_be_imported_or_read_in_the_student_environment(student):
    for module in ("solutions", "autograder", "torch"):
        done = run(student["python"], "-c", f"import {module}", cwd=student["tmp"])
        assert done.returncode != 0 and "ModuleNotFoundError" in done.stderr, module
    for module in ("micrograd_skeleton", "micrograd_feedback.selfcheck", "micrograd_feedback.notebook"):
        done = run(student["python"], "-c", f"import {module}", cwd=student["tmp"])
        assert done.returncode == 0, done.stderr
    installed = {}
    for package in build_student_wheel.PACKAGES:
        for path in (student["site"] / package).rglob("*"):
            if path.suffix in (".py", ".md", ".txt", ".json"):
                installed[str(path)] = path.read_text(errors="replace")
    assert installed and build_student_wheel.leaks(installed) == []
    assert not any((student["site"] / name).exists() for name in ("solutions", "autograder"))


def test_public_tests_run_on_the_package_in_the_student_environment(student, tmp_path):
    """pytest micrograd_skeleton: the untouched skeleton fails with its stubs named."""
    shutil.copytree(ROOT / "micrograd_skeleton", tmp_path / "micrograd_skeleton",
                    ignore=shutil.ignore_patterns("__pycache__"))
    done = run(student["python"], "-m", "pytest", "-q", "-p", "no:cacheprovider", "micrograd_skeleton", cwd=tmp_path)
    assert done.returncode == 1, done.stdout[-2000:]
    assert "still-a-stub" in done.stdout and "passed" not in done.stdout.splitlines()[-1]


# -- the notebooks in the student's kernel --------------------------------------------------------
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_notebooks_run_with_the_solution_and_every_check_passes(student, release, assignment):
    nb = execute(filled(release, assignment), release / "release" / assignment, student, allow_errors=False)
    checks = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert checks
    for cell in checks:
        assert "public checks passed" in output_text(cell), output_text(cell)


@pytest.mark.parametrize("bug", CLASSIC_BUGS)
def test_a_classic_bug_fails_its_own_check_cell_and_is_named(student, release, bug):
    name, part, key = CLASSIC_BUGS[bug]
    mutant = _mutants()[name]
    nb = execute(filled(release, "value_engine", mutant.patches), release / "release" / "value_engine", student,
                 allow_errors=True)
    text = output_text(check_cell(nb, part))
    assert "SelfCheckFailed" in text, text
    assert f"[{key}]" in text, text


def test_an_error_in_a_cell_is_located_in_the_cell(student, release):
    nb = execute(filled(release, "value_engine", _mutants()["relu_out_backward_slots"].patches),
                 release / "release" / "value_engine", student, allow_errors=True)
    assert "Cell In[" in output_text(check_cell(nb, "relu"))


# -- nbgrader validate ----------------------------------------------------------------------------
def validate(release: Path, nb: nbformat.NotebookNode, name: str) -> str:
    path = release / "release" / "value_engine" / f"{name}.ipynb"
    nbformat.write(nb, path)
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    done = run(BIN / "nbgrader", "validate", path.name, cwd=path.parent, env=env)
    return done.stdout + done.stderr


def test_nbgrader_validate_tells_the_truth(release):
    untouched = nbformat.read(release / "release" / "value_engine" / "value_engine.ipynb", as_version=4)
    said = validate(release, untouched, "validate_untouched")
    assert "VALIDATION FAILED" in said and "Success!" not in said, said[-2000:]
    relu = filled(release, "value_engine", _mutants()["relu_out_backward_slots"].patches)
    said = validate(release, relu, "validate_relu")
    assert "VALIDATION FAILED" in said and "relu: " in said and "Success!" not in said, said[-2000:]
    said = validate(release, filled(release, "value_engine"), "validate_solution")
    assert "Success! Your notebook passes all the tests." in said, said[-3000:]


# -- no lost work -----------------------------------------------------------------------------------
def test_release_and_workspace_never_overwrite_an_edited_notebook(tmp_path, monkeypatch):
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(ROOT / "assignments" / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "assignments" / "source", root / "source")
    monkeypatch.setattr(course, "COURSE", root)
    monkeypatch.setattr(course, "RELEASE", root / "release")
    assert course.release() == 0
    released = root / "release" / "value_engine" / "value_engine.ipynb"
    nb = json.loads(released.read_text())
    nb["cells"][0]["source"] = "# my own notes\n" + "".join(nb["cells"][0]["source"])
    released.write_text(json.dumps(nb))
    edited = released.read_text()
    assert course.release() == 1  # refused, naming the file
    assert released.read_text() == edited
    workspace = tmp_path / "lab"
    assert course.workspace(workspace) == 0
    mine = workspace / "value_engine" / "value_engine.ipynb"
    mine.write_text(mine.read_text().replace("Assignment 1", "Assignment 1 (my copy)"))
    mine_text = mine.read_text()
    assert course.release(force=True) == 0  # the instructor's explicit choice; the student's copy is elsewhere
    assert course.workspace(workspace) == 0
    assert mine.read_text() == mine_text
