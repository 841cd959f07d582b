"""Generate the student package ``micrograd_skeleton/`` from the reference ``solutions/``.

The reference marks what students write with nbgrader's markers::

    def __add__(self, other):
        ### BEGIN SOLUTION
        # Hint: one line that tells the student where to start.
        ...
        ### END SOLUTION

Each region becomes ``raise NotImplementedError("Value.__add__: <hint>")``;
everything else (constructors, ``__repr__``, drawing, data helpers) is copied
as written.  Run ``python tools/generate_skeleton.py`` after changing the
reference; ``--check`` exits 1 when the committed skeleton is out of date.
"""

from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
SKELETON = ROOT / "micrograd_skeleton"

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
HINT = "# Hint:"
# Modules copied into the student package (demo.py runs once the stubs are filled).
MODULES = ("__init__.py", "engine.py", "nn.py", "train.py", "viz.py", "datasets.py", "demo.py")
HEADER = (
    "# Student skeleton, generated from the reference solution by tools/generate_skeleton.py.\n"
    "# Replace every `raise NotImplementedError(...)` with your code.\n"
)


@dataclass(frozen=True)
class Region:
    """One ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block (0-based, inclusive lines)."""

    begin: int
    end: int
    indent: str
    hint: str
    function: str  # qualified name of the enclosing function, e.g. "Value.__add__"


def find_regions(source: str, filename: str = "<source>") -> list[Region]:
    """Every solution region of ``source``, with its hint and enclosing function."""
    lines = source.splitlines()
    owners = _function_spans(source)
    regions, begin = [], None
    for number, line in enumerate(lines):
        stripped = line.strip()
        if stripped == BEGIN:
            if begin is not None:
                raise ValueError(f"{filename}:{number + 1}: nested {BEGIN}")
            begin = number
        elif stripped == END:
            if begin is None:
                raise ValueError(f"{filename}:{number + 1}: {END} without {BEGIN}")
            hint = lines[begin + 1].strip()
            if not hint.startswith(HINT):
                raise ValueError(f"{filename}:{begin + 2}: a solution region must start with '{HINT} ...'")
            function = _innermost(owners, begin + 1)
            if function is None:
                raise ValueError(f"{filename}:{begin + 1}: a solution region must be inside a function")
            indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
            regions.append(Region(begin, number, indent, hint[len(HINT) :].strip(), function))
            begin = None
    if begin is not None:
        raise ValueError(f"{filename}:{begin + 1}: {BEGIN} without {END}")
    return regions


def stub_source(source: str, filename: str = "<source>") -> str:
    """``source`` with every solution region replaced by a NotImplementedError stub."""
    lines = source.splitlines()
    out: list[str] = []
    position = 0
    for region in find_regions(source, filename):
        out.extend(lines[position : region.begin])
        message = f"{region.function}: {region.hint}"
        out.append(f"{region.indent}raise NotImplementedError({message!r})")
        position = region.end + 1
    out.extend(lines[position:])
    return "\n".join(out) + "\n"


def skeleton_files() -> dict[str, str]:
    """The generated skeleton: file name -> contents."""
    files = {}
    for name in MODULES:
        source = (SOLUTIONS / name).read_text()
        stubbed = stub_source(source, f"solutions/{name}")
        files[name] = HEADER + stubbed if stubbed != source else HEADER + source
    return files


def _function_spans(source: str) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every function, 1-based."""
    spans: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                spans.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return spans


def _innermost(spans: list[tuple[int, int, str]], line: int) -> str | None:
    inside = [(first, name) for first, last, name in spans if first <= line <= last]
    return max(inside)[1] if inside else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether the skeleton is up to date")
    args = parser.parse_args(argv)
    stale = []
    for name, text in skeleton_files().items():
        target = SKELETON / name
        if not target.exists() or target.read_text() != text:
            stale.append(name)
            if not args.check:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
    if args.check and stale:
        print(f"micrograd_skeleton/ is out of date ({', '.join(stale)}): run python tools/generate_skeleton.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
