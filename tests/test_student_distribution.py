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

from micrograd_feedback.diagnosis.catalogue import BUGS
from tools import build_student_wheel, course

pytestmark = pytest.mark.slow  # a fresh environment, real kernels, real nbgrader

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ASSIGNMENTS = ("value_engine", "neural_net")
BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)
# bug -> (mutant in tests/submissions/engine/mutants.py, or its own patches; the check cell that must fail;
# the key it names).  The eight classic bugs a student makes.
CLASSIC_BUGS = {
    "`=` instead of `+=`": ("add_assign", "add", "assign-not-accumulate"),
    "no `out.grad` factor": ("mul_no_chain", "mul", "missing-chain-factor"),
    "relu assigns `out.backward`": ("relu_out_backward_slots", "relu", "backward-not-underscore"),
    "`__truediv__` returns a float": ("truediv_raw_data", "truediv", "not-a-value"),
    "topological sort without a visited set": ("backward_no_visited", "backward", "backward-no-visited"),
    "no `__rmul__`": ("no_rmul", "mul", "missing-reflected"),
    "tanh's derivative as `1 - t`": ((("(1 - t**2) * out.grad", "(1 - t) * out.grad"),), "tanh", "tanh-grad"),
    "no seed in `backward`": ("backward_no_seed", "backward", "backward-no-seed"),
}


def patches_of(bug: str) -> tuple:
    mutant = CLASSIC_BUGS[bug][0]
    return _mutants()[mutant].patches if isinstance(mutant, str) else mutant


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


def test_new_gives_a_fresh_skeleton_whose_public_tests_show_the_fix(student, tmp_path):
    """``python -m micrograd_skeleton new DIR``, then ``pytest micrograd_skeleton`` there: the untouched
    skeleton fails with its stubs named, as reports (no traceback); ``new`` again overwrites nothing."""
    done = run(student["python"], "-m", "micrograd_skeleton", "new", "micrograd-work", cwd=tmp_path)
    assert done.returncode == 0 and "pytest micrograd_skeleton" in done.stdout, done.stdout + done.stderr
    work = tmp_path / "micrograd-work"  # docs/students.md's recipe, word for word
    assert (work / "micrograd_skeleton" / "tests" / "test_engine.py").is_file()
    done = run(student["python"], "-m", "pytest", "-q", "-p", "no:cacheprovider", "micrograd_skeleton", cwd=work)
    assert done.returncode == 1, done.stdout[-2000:]
    assert "still the skeleton's stub" in done.stdout and "passed" not in done.stdout.splitlines()[-1]
    assert "Traceback" not in done.stdout and "site-packages" not in done.stdout, done.stdout[-3000:]
    assert "FAILED micrograd_skeleton/tests/test_engine.py::test_part[add] - add: " in done.stdout
    engine = work / "micrograd_skeleton" / "engine.py"
    engine.write_text(engine.read_text() + "\n# my work\n")
    done = run(student["python"], "-m", "micrograd_skeleton", "new", "micrograd-work", cwd=tmp_path)
    assert done.returncode == 1 and "nothing was changed" in done.stderr, done.stderr
    assert engine.read_text().endswith("# my work\n")


def test_the_demo_runs_without_the_optional_packages(student, tmp_path):
    """The wheel alone (no ``[notebook]`` extra: no graphviz, no matplotlib): the demo trains with the
    student's code and skips the pictures with one line."""
    venv = tmp_path / "bare"
    assert run(BASE_PYTHON, "-m", "venv", venv).returncode == 0
    python = venv / "bin" / "python"
    done = run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", student["wheel"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert run(python, "-m", "micrograd_skeleton", "new", "work", cwd=tmp_path).returncode == 0
    for module in ("engine", "nn", "train"):  # the student's finished work
        shutil.copy(ROOT / "solutions" / f"{module}.py", tmp_path / "work" / "micrograd_skeleton" / f"{module}.py")
    done = run(python, "-m", "micrograd_skeleton.demo", "pictures", cwd=tmp_path / "work")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "moons: final training accuracy" in done.stdout, done.stdout
    skipped = [line for line in done.stdout.splitlines() if line.startswith("pictures skipped:")]
    assert len(skipped) == 1 and "micrograd-kit-student[notebook]" in skipped[0], done.stdout
    assert not done.stderr, done.stderr


def test_student_lab_runs_its_kernel_in_the_student_wheel_alone(tmp_path):
    """``make student-lab``'s kernel (``tools/course.py student-kernel``): the ``python3`` kernel, which the
    notebooks and nbgrader's Validate use, runs in a venv with the student wheel and nothing of the kit."""
    assert course.main(["student-kernel", str(tmp_path / "env")]) == 0
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import sys, micrograd_feedback\nprint(sys.executable)\nprint(micrograd_feedback.__file__)"),
        nbformat.v4.new_code_cell("import solutions"), nbformat.v4.new_code_cell("import autograder")])
    previous = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(tmp_path / "env" / "kernels")
    try:
        NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=True,
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        if previous is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = previous
    printed = nb.cells[0].outputs[0].text.splitlines()
    venv = str(tmp_path / "env" / "venv")
    assert printed[0].startswith(venv) and printed[1].startswith(venv), printed
    assert [nb.cells[i].outputs[0].ename for i in (1, 2)] == ["ModuleNotFoundError", "ModuleNotFoundError"]


# -- the notebooks in the student's kernel --------------------------------------------------------
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_notebooks_run_with_the_solution_and_every_check_passes(student, release, assignment):
    nb = execute(filled(release, assignment), release / "release" / assignment, student, allow_errors=False)
    checks = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert checks
    for cell in checks:
        assert "public checks pass" in output_text(cell), output_text(cell)


@pytest.mark.parametrize("bug", CLASSIC_BUGS)
def test_a_classic_bug_fails_its_own_check_cell_with_the_fix_first(student, release, bug):
    """Run All (nbclient stops at an error as JupyterLab does, but for a cell tagged ``raises-exception``)
    reaches every check cell; the bug's check cell shows the report alone, the fix in its first lines."""
    _, part, key = CLASSIC_BUGS[bug]
    nb = execute(filled(release, "value_engine", patches_of(bug)), release / "release" / "value_engine", student,
                 allow_errors=False)
    checks = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert checks and all(c.get("execution_count") for c in checks), "Run All stopped before a check cell"
    error = next(o for o in check_cell(nb, part).outputs if o.output_type == "error")
    assert error.ename == "SelfCheckFailed"
    first_lines = "\n".join(error.traceback[:6])
    assert squeezed(fix_of(key)) in squeezed(first_lines), first_lines
    shown = "\n".join(error.traceback)
    assert "Traceback" not in shown and "site-packages" not in shown and "micrograd_feedback" not in shown, shown
    assert all(len(line) <= 80 for line in error.traceback), shown
    if key == "backward-not-underscore":  # docs/students.md shows this very report
        assert shown == documented_output("relu-out-backward-notebook")


def documented_output(name: str) -> str:
    text = (ROOT / "docs" / "students.md").read_text()
    return text.split(f"<!-- real output: {name} -->\n```\n", 1)[1].split("\n```", 1)[0]


def fix_of(key: str) -> str:
    """The catalogue's advice for ``key``, up to its first placeholder."""
    return BUGS[key].split("{")[0]


def squeezed(text: str) -> str:
    return " ".join(text.split())


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
    said = validate(release, filled(release, "value_engine"), "validate_solution")
    assert "Success! Your notebook passes all the tests." in said, said[-3000:]


@pytest.mark.parametrize("bug", CLASSIC_BUGS)
def test_nbgrader_validate_shows_each_fix_uncut(release, bug):
    """``nbgrader validate`` cuts every line after 87 characters: the report's lines are shorter."""
    _, part, key = CLASSIC_BUGS[bug]
    said = validate(release, filled(release, "value_engine", patches_of(bug)), f"validate_{part}_{key}")
    assert "VALIDATION FAILED" in said and "Success!" not in said, said[-2000:]
    assert squeezed(fix_of(key)) in squeezed(said), said[-3000:]
    errors = [part.split("=" * 20, 1)[0] for part in said.split("The error was:")[1:]]
    assert not any(len(line) >= 87 and line.endswith("...") for e in errors for line in e.splitlines()), errors


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
