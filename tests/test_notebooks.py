"""The course notebooks: generated from the reference, and working in a real kernel.

* the committed notebooks are what ``tools/generate_notebooks.py`` produces;
* students fill in exactly the regions the reference marks;
* ``autograder.notebooks`` finds each module's cells, even in damaged notebooks;
* the release (made by the real ``nbgrader generate_assignment``) runs top to
  bottom: only cells that call a stub raise, and only NotImplementedError;
* the instructor's notebooks run clean, score full marks, and draw their plots;
* ``os._exit`` in notebook code does not kill the kernel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "assignments" / "source"
ASSIGNMENTS = ("value_engine", "neural_net")
BIN = Path(sys.executable).parent

sys.path.insert(0, str(ROOT))
from autograder.course import notebooks
from autograder.rubric import MODULES
from tools import generate_notebooks
from tools.generate_skeleton import BEGIN, find_regions


def notebook_path(assignment: str, folder: Path = SOURCE) -> Path:
    return folder / assignment / f"{assignment}.ipynb"


def run(nb: nbformat.NotebookNode, cwd: Path, timeout: int = 300) -> nbformat.NotebookNode:
    """Execute ``nb`` in a real python3 kernel, recording errors instead of stopping."""
    NotebookClient(
        nb,
        kernel_name="python3",
        timeout=timeout,
        allow_errors=True,
        resources={"metadata": {"path": str(cwd)}},
    ).execute()
    return nb


def errors(cell) -> list:
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def stderr(cell) -> str:
    return "".join(
        o.text for o in cell.get("outputs", []) if o.output_type == "stream" and o.name == "stderr"
    )


def nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


# ----------------------------------------------------------------------------
# Generated, not hand-written
# ----------------------------------------------------------------------------
def test_regenerating_reproduces_the_committed_notebooks():
    for path, text in generate_notebooks.rendered().items():
        assert path.read_text() == text, f"{path} is stale: run python tools/generate_notebooks.py"


def test_students_write_exactly_the_regions_the_reference_marks():
    regions = {m: find_regions((ROOT / "solutions" / f"{m}.py").read_text()) for m in MODULES}
    cells = []
    for assignment in ASSIGNMENTS:
        cells += [
            c for c in nbformat.read(notebook_path(assignment), 4).cells if nbgrader_meta(c).get("solution")
        ]
    text = "\n".join(c.source for c in cells)
    assert text.count(BEGIN) == sum(len(r) for r in regions.values())
    for module, module_regions in regions.items():
        lines = (ROOT / "solutions" / f"{module}.py").read_text().splitlines()
        for region in module_regions:
            # the hint (every line of it) sits just above the region, so nbgrader's ClearSolutions keeps it
            hint = "\n".join(lines[region.begin + 1 : region.begin + 1 + region.hint_lines])
            assert f"{hint}\n{region.indent}{BEGIN}" in text, region.function
    for cell in cells:  # every solution cell belongs to a module the grader extracts
        assert cell.metadata["micrograd"]["module"] in MODULES


def test_every_rubric_part_has_one_check_cell_with_its_points():
    from autograder.rubric import load_rubric

    rubric = load_rubric()
    seen = {}
    for assignment in ASSIGNMENTS:
        for cell in nbformat.read(notebook_path(assignment), 4).cells:
            meta = nbgrader_meta(cell)
            if meta.get("grade"):
                part = meta["grade_id"].removeprefix("check_")
                assert part not in seen
                seen[part] = meta["points"]
                assert meta["locked"] and f'score("{part}")' in cell.source
                assert cell.source.index("### BEGIN HIDDEN TESTS") < cell.source.index(f'score("{part}")')
    assert seen == {p.id: p.points for p in rubric.parts.values()}


# ----------------------------------------------------------------------------
# Notebook cells -> modules
# ----------------------------------------------------------------------------
def test_extracted_modules_define_what_the_reference_defines():
    modules = notebooks.extract_modules([notebook_path(a) for a in ASSIGNMENTS])
    assert set(modules) == set(MODULES)
    for module, source in modules.items():
        compile(source, f"{module}.py", "exec")
        reference = set(notebooks.defined_names((ROOT / "solutions" / f"{module}.py").read_text()))
        assert reference <= set(notebooks.defined_names(source)), module
    assert "from .engine import Value" in modules["nn"]
    # the reference engine handed out with neural_net is not the student's engine
    assert notebooks.extract_modules([notebook_path("neural_net")]).keys() == {"nn", "train"}


def test_extraction_survives_what_students_do_to_notebooks(tmp_path):
    nb = nbformat.read(notebook_path("value_engine"), 4)
    value = next(c for c in nb.cells if c.cell_type == "code" and "class Value" in c.source)
    # the cell deleted and re-typed (no metadata), then a later edited copy
    retyped = nbformat.v4.new_code_cell(value.source)
    edited = nbformat.v4.new_code_cell(value.source.replace("def relu(self):", "def relu(self):  # v2"))
    nb.cells.remove(value)
    nb.cells += [retyped, nbformat.v4.new_code_cell("x = Value(2.0)\nprint(x + 1)"), edited]
    path = tmp_path / "edited.ipynb"
    nbformat.write(nb, path)
    engine = notebooks.extract_modules([path])["engine"]
    assert engine.count("class Value") == 1 and "# v2" in engine and "print(x + 1)" not in engine

    # a syntax error still lands in its module, so the grader can report it
    broken = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("class Value:\n    def __add__(self, other:\n")]
    )
    nbformat.write(broken, path)
    assert "def __add__(self, other:" in notebooks.extract_modules([path])["engine"]

    # damaged or missing files give what they can, never an exception
    path.write_text("{ not json")
    assert notebooks.extract_modules([path, tmp_path / "missing.ipynb"]) == {}
    path.write_text(
        json.dumps({"cells": [{"cell_type": "code", "source": ["def mse_loss(p, t):\n", "    return 0\n"]}]})
    )
    assert "def mse_loss" in notebooks.extract_modules([path])["train"]


# ----------------------------------------------------------------------------
# Real kernels
# ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """The student release, made by the real ``nbgrader generate_assignment``."""
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "assignments" / "nbgrader_config.py", course)
    shutil.copytree(SOURCE, course / "source")
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    for assignment in ASSIGNMENTS:
        subprocess.run(
            [str(BIN / "nbgrader"), "generate_assignment", assignment, "--create"],
            cwd=course,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return course / "release"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_runs_and_only_stubs_raise(release, assignment):
    """Untouched, every check cell fails (naming its part and the stub), and only a demonstration
    that calls the student's code may fail besides, and only on a stub."""
    path = notebook_path(assignment, release)
    nb = run(nbformat.read(path, 4), path.parent)
    raised = checks = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = nbgrader_meta(cell)
        for error in errors(cell):
            if meta.get("grade"):
                part = meta["grade_id"].removeprefix("check_")
                assert error.ename == "SelfCheckFailed" and part in error.evalue.splitlines()[0].lower(), error.evalue
                assert "still the skeleton's stub" in error.evalue or "NotImplementedError" in error.evalue, error.evalue
                checks += 1
                continue
            assert not meta, f"cell {index} ({meta.get('grade_id')}) failed: {error.ename}: {error.evalue}"
            assert error.ename == "NotImplementedError", (
                f"cell {index}: {error.ename}: {error.evalue}\n{cell.source}"
            )
            raised += 1
        assert not stderr(cell), f"cell {index} wrote to stderr: {stderr(cell)}"
    assert raised > 0
    assert checks == sum(1 for c in nb.cells if nbgrader_meta(c).get("grade"))


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_notebook_runs_clean_scores_full_marks_and_draws(tmp_path, assignment):
    path = notebook_path(assignment)
    nb = nbformat.read(path, 4)
    # The kernel's view of the module (what the check cells grade) is the file's view.
    module = "engine" if assignment == "value_engine" else "train"
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "from autograder.notebooks import _executed_cells, extract_modules, modules_from_cells\n"
            f"print(modules_from_cells(_executed_cells())[{module!r}] == extract_modules([{str(path)!r}])[{module!r}])"
        )
    )
    nb = run(nb, tmp_path)
    images = set()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert not errors(cell), f"cell {index}: {errors(cell)[0].ename}: {errors(cell)[0].evalue}"
        assert not stderr(cell), f"cell {index} wrote to stderr: {stderr(cell)}"
        meta = nbgrader_meta(cell)
        results = [o for o in cell.outputs if o.output_type == "execute_result"]
        if meta.get("grade"):
            assert float(results[-1].data["text/plain"]) == meta["points"], cell.source
        images |= {
            kind
            for o in cell.outputs
            if o.output_type in ("display_data", "execute_result")
            for kind in o.data
        }
    assert nb.cells[-1].outputs[0].text.strip() == "True"
    expected = {"image/svg+xml"} if assignment == "value_engine" else {"image/svg+xml", "image/png"}
    assert expected <= images


@pytest.mark.slow
def test_os_exit_in_notebook_code_does_not_kill_the_kernel(tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("from autograder.notebooks import setup_notebook\nsetup_notebook()"),
            nbformat.v4.new_code_cell("import os\ndef method():\n    os._exit(3)\nmethod()"),
            nbformat.v4.new_code_cell("print('still alive')"),
        ]
    )
    nb = run(nb, tmp_path, timeout=60)
    assert errors(nb.cells[1])[0].ename == "RuntimeError"
    assert nb.cells[2].outputs[0].text == "still alive\n"


@pytest.mark.slow
def test_jupyterlab_serves_the_release_with_nbgrader_extensions(release, tmp_path):
    """What `make lab` starts: JupyterLab on the release, nbgrader's extensions enabled.

    A server-level smoke test: no headless browser is installed here to render the page.
    """
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = "micrograd-test"
    env = dict(
        os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", JUPYTER_RUNTIME_DIR=str(tmp_path)
    )
    server = subprocess.Popen(
        [
            str(BIN / "jupyter"),
            "lab",
            "--no-browser",
            f"--port={port}",
            "--ip=127.0.0.1",
            "--allow-root",
            f"--ServerApp.token={token}",
            f"--ServerApp.root_dir={release}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def get(path: str) -> tuple[int, str]:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}?token={token}", timeout=10) as response:
            return response.status, response.read().decode()

    try:
        for _ in range(120):
            try:
                get("/api/status")
                break
            except OSError:
                time.sleep(0.25)
        status, body = get("/api/contents/value_engine/value_engine.ipynb")
        assert status == 200 and json.loads(body)["type"] == "notebook"
        status, page = get("/lab/tree/value_engine/value_engine.ipynb")
        assert status == 200 and "JupyterLab" in page
        extensions = {e["name"]: e for e in json.loads(get("/lab/api/extensions")[1])}
        assert extensions["jupyter-nbgrader"]["enabled"] and extensions["jupyter-nbgrader"]["status"] == "ok"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_checks_before_any_code_cell_ran_score_zero_and_say_why(capsys):
    """Outside a kernel nothing has run: 0 points, a hint, and no grader started."""
    assert notebooks.score("add") == 0.0
    notebooks.report("relu")
    assert "No cell defining engine.py's code has been run yet" in capsys.readouterr().out


def test_under_nbgrader_autograde_the_submitted_file_is_graded(tmp_path):
    """nbgrader runs a submission in autograded/<student>/<assignment>/; the file is in submitted/."""
    running = tmp_path / "autograded" / "ada" / "value_engine"
    submitted = tmp_path / "submitted" / "ada" / "value_engine"
    running.mkdir(parents=True)
    submitted.mkdir(parents=True)
    assert notebooks.submitted_notebooks(running) is None  # nothing submitted
    shutil.copy(notebook_path("value_engine"), submitted / "value_engine.ipynb")
    shutil.copy(notebook_path("value_engine"), submitted / "value_engine-Copy1.ipynb")
    assert notebooks.submitted_notebooks(running) == [submitted / "value_engine.ipynb"]
    assert notebooks.submitted_notebooks(tmp_path / "elsewhere") is None
