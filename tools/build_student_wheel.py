"""Build the student distribution: a wheel that holds no answer.

``micrograd-kit-student`` carries ``micrograd_skeleton`` (the stubs, the public
tests, the pictures and datasets helpers) and ``micrograd_feedback`` (the
public checks, the diagnosis catalogue, the notebook helpers), and nothing
else: not ``solutions/``, not ``autograder/`` (hidden checks, rubric points,
the grader secret), not the nbgrader course.  The notebooks' visible cells and
``pytest micrograd_skeleton`` need only it; the check cells' hidden parts call
the course's grader, which exists only in the instructor's environment.

    python tools/build_student_wheel.py [--out dist]

The packages are staged with a generated ``pyproject.toml`` and built by pip
without build isolation (no download is needed), then verified: only those
two packages, no solution region, no reference method body
(tests/test_student_distribution.py checks an installed copy the same way).
"""

from __future__ import annotations

import argparse
import ast
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("micrograd_skeleton", "micrograd_feedback")
NAME = "micrograd-kit-student"
PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "{version}"
description = "The student side of the micrograd teaching kit: the skeleton, public checks and notebook helpers."
requires-python = ">=3.11"
license = {{ text = "MIT" }}
dependencies = []

[project.optional-dependencies]
# The notebooks: a kernel, graph pictures (also Debian's `graphviz` for `dot`) and plots.
notebook = ["ipykernel>=6.29", "graphviz>=0.20", "matplotlib>=3.8", "numpy>=1.26"]
test = ["pytest>=8"]

[tool.setuptools.packages.find]
include = [{packages}]
"""


def kit_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def build(out: Path) -> Path:
    """Stage the two packages and build the wheel into ``out``; return its path."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="student-wheel-") as tmp:
        stage = Path(tmp)
        for package in PACKAGES:
            shutil.copytree(ROOT / package, stage / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        patterns = ", ".join(f'"{p}*"' for p in PACKAGES)
        (stage / "pyproject.toml").write_text(PYPROJECT.format(name=NAME, version=kit_version(), packages=patterns))
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                               "-w", str(out), str(stage)], capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"building the student wheel failed:\n{done.stdout}{done.stderr}")
    wheels = sorted(out.glob(f"{NAME.replace('-', '_')}-{kit_version()}-*.whl"))
    if not wheels:
        raise SystemExit(f"no wheel in {out}")
    return wheels[-1]


def reference_bodies() -> list[list[str]]:
    """The code lines of every solution region of the reference (what must never ship)."""
    sys.path.insert(0, str(ROOT / "tools"))
    from generate_skeleton import find_regions

    bodies = []
    for path in sorted((ROOT / "solutions").glob("*.py")):
        lines = path.read_text().splitlines()
        for region in find_regions(path.read_text(), str(path)):
            code = [line.strip() for line in lines[region.begin + 1 + region.hint_lines : region.end]]
            code = [line for line in code if line and not line.startswith("#")]
            if code:
                bodies.append(code)
    return bodies


RUN = 3  # consecutive lines of a reference region that make a leak (one line may be a hint's quotation)


def derivative_statements() -> dict[str, str]:
    """The reference's local derivatives (each ``... grad += ...`` line of a solution region), with
    every space removed -> the line: one such line is a graded answer on its own."""
    return {re.sub(r"\s+", "", line): line for body in reference_bodies() for line in body if "grad +=" in line}


def training_loops(text: str) -> int:
    """How many loops in ``text`` (Python) zero the gradients, backpropagate and update: the whole of
    ``train``'s answer, however it is written."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return 0
    count = 0
    for loop in ast.walk(tree):
        if isinstance(loop, (ast.For, ast.While)):
            called = {node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                      for node in ast.walk(loop) if isinstance(node, ast.Call)}
            count += {"zero_grad", "backward"} <= called and bool(called & {"sgd_step", "step"})
    return count


def leaks(texts: dict[str, str]) -> list[str]:
    """Where ``texts`` (name -> content) hold a solution region, a whole reference method body, ``RUN``
    consecutive lines of one, one of the reference's derivative lines, or a complete training loop."""
    found = []
    bodies = reference_bodies()
    derivatives = derivative_statements()
    for name, text in texts.items():
        if "### BEGIN SOLUTION" in text:
            found.append(f"{name}: a solution region")
        squeezed = re.sub(r"\s+", "", text)
        found += [f"{name}: a derivative of the reference ({line})" for key, line in derivatives.items()
                  if key in squeezed]
        if name.endswith(".py") and training_loops(text):
            found.append(f"{name}: a complete training loop (zero_grad, backward, an update)")
        lines = [line.strip() for line in text.splitlines()]
        runs = {tuple(lines[i : i + RUN]) for i in range(len(lines) - RUN + 1)}
        joined = "\n".join(lines)
        for body in bodies:
            whole = "\n".join(body) in joined
            if whole or any(tuple(body[i : i + RUN]) in runs for i in range(len(body) - RUN + 1)):
                found.append(f"{name}: reference code ({body[0][:60]} ...)")
                break
    return found


def check(wheel: Path) -> list[str]:
    """Problems with ``wheel``: files outside the two packages, or any leak."""
    problems, texts = [], {}
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            top = name.split("/")[0]
            if top not in PACKAGES and not top.endswith(".dist-info"):
                problems.append(f"{name}: not part of the student distribution")
            if name.endswith((".py", ".md", ".txt", ".toml", ".json")):
                texts[name] = archive.read(name).decode("utf-8", errors="replace")
    return problems + leaks(texts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where the wheel goes (default dist/)")
    args = parser.parse_args(argv)
    wheel = build(args.out)
    problems = check(wheel)
    if problems:
        print("the student wheel is not safe to hand out:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print(wheel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
