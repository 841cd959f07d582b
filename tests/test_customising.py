"""docs/customising.md, word for word, on copies of the kit (issue 25).

Each recipe of the page (add `log`, add `sigmoid`, drop `relu`) is applied to a fresh copy of
the kit exactly as written: its blocks say what they do (``add to class Value in FILE, after
METHOD``, ``append to FILE``, ``edit FILE`` with a diff, ``run``), and the harness does only
that.  Then, on the copy: the reference scores full marks; a wrong gradient in the new
operation costs its own part (and at most the integration part); the students' public check
names the bug; the notebook has the part's section and check cell; the kit's fast test lane
passes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "customising.md"
BIN = Path(sys.executable).parent
FENCE = re.compile(r"^(?P<lead>[ \t]*(?:\d+\.[ \t]+)?)```(?P<lang>\w+)[ \t]+#[ \t]*(?P<action>[^\n]+)$")


def recipes() -> dict[str, list[tuple[str, str]]]:
    """Section title -> its (action, block) pairs, in the page's order."""
    found: dict[str, list[tuple[str, str]]] = {}
    title, lines, i = "", DOC.read_text().splitlines(), 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            title = line[3:].strip()
        match = FENCE.match(line)
        if match:
            indent, block = len(match["lead"]), []
            i += 1
            while lines[i].strip() != "```":
                block.append(lines[i][indent:] if len(lines[i]) >= indent else "")
                i += 1
            found.setdefault(title, []).append((match["action"].strip(), "\n".join(block) + "\n"))
        i += 1
    return found


RECIPES = recipes()


def apply(copy: Path, action: str, block: str) -> None:
    if action == "run":
        for command in block.strip().splitlines():
            done = subprocess.run(command, shell=True, cwd=copy, capture_output=True, text=True, timeout=600,
                                  env=dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}"))
            assert done.returncode == 0, f"{command}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        return
    if action.startswith("append to "):
        path = copy / action.removeprefix("append to ")
        path.write_text(path.read_text().rstrip("\n") + "\n\n" + block)
        return
    if action.startswith("edit "):
        path = copy / action.removeprefix("edit ")
        old = "".join(line[1:] + "\n" for line in block.splitlines() if line[:1] in ("-", " ") or line == "")
        new = "".join(line[1:] + "\n" for line in block.splitlines() if line[:1] in ("+", " ") or line == "")
        text = path.read_text()
        assert text.count(old) == 1, f"{action}: the lines to replace are not in the file once:\n{old}"
        path.write_text(text.replace(old, new))
        return
    match = re.fullmatch(r"add to class (\w+) in (\S+), after (\w+)", action)
    assert match, f"an action the page does not define: {action}"
    path = copy / match[2]
    lines = path.read_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(f"    def {match[3]}("))
    end = next(i for i in range(start + 1, len(lines)) if re.match(r"    (def |# -)|\S", lines[i]))
    lines[end:end] = [block, "\n"]
    path.write_text("".join(lines))


@pytest.fixture(scope="module")
def copies(tmp_path_factory) -> dict[str, Path]:
    """One copy of the kit (its committed files) per recipe, the recipe applied."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, check=True).stdout
    made = {}
    for title, steps in RECIPES.items():
        copy = tmp_path_factory.mktemp(re.sub(r"\W+", "-", title).strip("-"))
        for name in files.decode().split("\0"):
            if name and (ROOT / name).is_file():
                (copy / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, copy / name)  # modes and times kept: make sees the venv as set up
        (copy / ".venv").symlink_to(ROOT / ".venv")  # the same installed packages; the copy's own code
        for action, block in steps:
            apply(copy, action, block)
        made[title] = copy
    return made


def grade(copy: Path, folder: Path, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(folder), "--format", "json", *args],
                          cwd=copy, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def wrong_gradient(copy: Path, method: str, tmp: Path) -> Path:
    """The copy's reference with ``method``'s local gradient doubled."""
    folder = tmp / f"{method}-bug"
    folder.mkdir()
    for module in ("engine", "nn", "train"):
        text = (copy / "solutions" / f"{module}.py").read_text()
        if module == "engine":
            start = text.index(f"    def {method}(self):")
            end = text.index("out._backward = _backward", start)
            body = text[start:end]
            fixed = re.sub(r"self\.grad \+= ", "self.grad += 2 * ", body, count=1)
            assert fixed != body
            text = text[:start] + fixed + text[end:]
        (folder / f"{module}.py").write_text(text)
    return folder


@pytest.mark.parametrize(("title", "method"), [("Add an operation: `log`", "log"),
                                                 ("Add an operation: `sigmoid`", "sigmoid")])
def test_an_added_operation_is_graded_everywhere(copies, title, method, tmp_path):
    copy = copies[title]
    reference = grade(copy, copy / "solutions")
    assert reference["score"] == reference["max_score"] == 104
    assert reference["parts"][method]["max_score"] == 4
    assert reference["parts"][method]["score"] == 4
    ran = [t["name"] for t in reference["tests"] if t["part"] == method]
    assert len(ran) >= 6  # the operation alone, on an intermediate node, reused, by a number, each out.grad

    buggy = grade(copy, wrong_gradient(copy, method, tmp_path))
    lost = {p for p, r in buggy["parts"].items() if r["score"] < r["max_score"]}
    assert method in lost and lost <= {method, "graphs"}, lost
    assert buggy["parts"][method]["score"] == 0
    again = tmp_path / "again"
    again.mkdir()
    assert grade(copy, wrong_gradient(copy, method, again), "--assignment", "value_engine")["max_score"] == 64

    check = subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
         "from micrograd_feedback.selfcheck import check_part, report; import importlib.util as u\n"
         "s = u.spec_from_file_location('engine', sys.argv[2]); m = u.module_from_spec(s); s.loader.exec_module(m)\n"
         f"print(report({method!r}, check_part({method!r}, {{'engine': m}})))",
         str(copy), str(tmp_path / f"{method}-bug" / "engine.py")], cwd=copy, capture_output=True, text=True,
        timeout=120)
    assert check.returncode == 0, check.stderr
    assert f"({method}): " in check.stdout and "public checks fail" in check.stdout
    assert "Expected:" in check.stdout and "grad" in check.stdout

    notebook = json.loads((copy / "assignments" / "source" / "value_engine" / "value_engine.ipynb").read_text())
    text = ["".join(c["source"]) for c in notebook["cells"]]
    check_cell = next(i for i, c in enumerate(notebook["cells"])
                      if c["metadata"].get("nbgrader", {}).get("grade_id") == f"check_{method}")
    assert notebook["cells"][check_cell]["metadata"]["nbgrader"]["points"] == 4
    section = "\n".join(text[max(0, check_cell - 3):check_cell])
    assert "derivative" in section and f"({method})" in section
    assert f"def {method}(self):" in "\n".join(text) and "raise NotImplementedError" in (
        copy / "micrograd_skeleton" / "engine.py").read_text().split(f"def {method}(self):")[1][:400]


def test_a_dropped_operation_is_gone_from_grading_and_given_to_students(copies):
    copy = copies["Drop a graded operation: `relu`"]
    reference = grade(copy, copy / "solutions")
    assert reference["score"] == reference["max_score"] == 94 and "relu" not in reference["parts"]
    skeleton = (copy / "micrograd_skeleton" / "engine.py").read_text()
    relu = skeleton.split("def relu(self):")[1].split("\n    def ")[0]
    assert "NotImplementedError" not in relu and "out._backward = _backward" in relu
    notebook = (copy / "assignments" / "source" / "value_engine" / "value_engine.ipynb").read_text()
    assert "check_relu" not in notebook and 'check(\\"relu\\")' not in notebook


@pytest.mark.parametrize("title", [t for t in RECIPES if t.startswith("Add")])
def test_the_fast_lane_passes_on_the_customised_kit(copies, title):
    """With an operation added; a course that drops one no longer has the contract's parts (docs/interface.md),
    which the kit's own contract tests hold it to."""
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow", "-x"],
                          cwd=copies[title], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-4000:]
