"""Generate the student package ``micrograd_skeleton/`` from the reference ``solutions/``.

The reference marks what students write with nbgrader's markers::

    def __add__(self, other):
        ### BEGIN SOLUTION
        # Hint: what tells the student where to start, wrapped at 100 columns
        #       on continuation lines ("#" and at least two spaces).
        ...
        ### END SOLUTION

Each region becomes ``raise NotImplementedError("Value.__add__: <hint>")``
(the message wrapped too); everything else (constructors, ``__repr__``,
drawing, data helpers) is copied as written.  The same run writes
``micrograd_feedback/modules.py``, the table of which module defines which
top-level name (public: the students' self-checks read notebook cells with
it).  Run ``python tools/generate_skeleton.py`` after changing the reference;
``--check`` exits 1 when a generated file is out of date.
"""

from __future__ import annotations

import argparse
import ast
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
SKELETON = ROOT / "micrograd_skeleton"
NAMES_TABLE = ROOT / "micrograd_feedback" / "modules.py"
GRADED = ("engine", "nn", "train")  # the student's modules, in dependency order
WIDTH = 100

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
    hint_lines: int = 1  # the hint's lines, the first included


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
            parts, count = [hint[len(HINT) :].strip()], 1
            while begin + 1 + count < number and _continues_hint(lines[begin + 1 + count]):
                parts.append(lines[begin + 1 + count].strip()[1:].strip())
                count += 1
            function = _innermost(owners, begin + 1)
            if function is None:
                raise ValueError(f"{filename}:{begin + 1}: a solution region must be inside a function")
            indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
            regions.append(Region(begin, number, indent, " ".join(parts), function, count))
            begin = None
    if begin is not None:
        raise ValueError(f"{filename}:{begin + 1}: {BEGIN} without {END}")
    return regions


def _continues_hint(line: str) -> bool:
    """A hint's continuation line: ``#`` and at least two spaces (a plain comment has one)."""
    text = line.strip()
    return text.startswith("#  ") and text[2:].strip() != ""


def stub_source(source: str, filename: str = "<source>") -> str:
    """``source`` with every solution region replaced by a NotImplementedError stub."""
    lines = source.splitlines()
    out: list[str] = []
    position = 0
    for region in find_regions(source, filename):
        out.extend(lines[position : region.begin])
        message = f"{region.function}: {region.hint}"
        one_line = f"{region.indent}raise NotImplementedError({message!r})"
        if len(one_line) <= WIDTH:
            out.append(one_line)
        else:  # the message in pieces the editor shows whole (Python joins adjacent strings)
            pieces = textwrap.wrap(message, WIDTH - len(region.indent) - 8, drop_whitespace=False)
            out.append(f"{region.indent}raise NotImplementedError(")
            out += [f"{region.indent}    {piece!r}" for piece in pieces]
            out.append(f"{region.indent})")
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


def names_table() -> str:
    """``micrograd_feedback/modules.py``: which student module defines which top-level name."""
    defined: dict[str, str] = {}
    for module in GRADED:
        for node in ast.parse((SOLUTIONS / f"{module}.py").read_text()).body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
                defined.setdefault(node.name, module)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        defined.setdefault(target.id, module)
    rows = "".join(f"    {name!r}: {module!r},\n" for name, module in defined.items())
    sys.path.insert(0, str(ROOT))
    from autograder.rubric import load_rubric  # the one definition of the parts

    parts = "".join(
        f"    {p.id!r}: Part({p.id!r}, {p.title!r}, {p.module!r}, {tuple(p.members)!r}, {p.operation!r}"
        + (f", {p.forward!r}, {p.domain!r}" if p.forward else "") + "),\n"
        for p in load_rubric().parts.values()
    )
    return (
        '"""The student\'s modules, what each defines, and the graded parts (generated by\n'
        "tools/generate_skeleton.py from solutions/ and autograder/rubric.toml).\n\n"
        "Public: names, part ids, titles and members are the skeleton's and docs/interface.md's;\n"
        "an operation the rubric defines by its forward rule carries that rule (its value, which\n"
        "the public checks' finite differences need) and where its inputs are drawn; no points,\n"
        "no visibility, no derivative, no code.\n"
        '"""\n\n'
        "from typing import NamedTuple\n\n"
        f"MODULES = {GRADED!r}  # the student's modules, in dependency order\n"
        f"DEFINED_IN = {{\n{rows}}}\n\n\n"
        "class Part(NamedTuple):\n"
        "    id: str\n    title: str\n    module: str\n    members: tuple[str, ...]\n    operation: bool\n"
        '    forward: str = ""  # an operation defined by its rule: its value on a float x (math in scope)\n'
        '    domain: str = "any"  # "positive": its inputs are drawn > 0\n\n\n'
        f"PARTS = {{\n{parts}}}\n"
    )


def generated_files() -> dict[Path, str]:
    files = {SKELETON / name: text for name, text in skeleton_files().items()}
    files[NAMES_TABLE] = names_table()
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether the skeleton is up to date")
    args = parser.parse_args(argv)
    stale = []
    for target, text in generated_files().items():
        name = str(target.relative_to(ROOT))
        if not target.exists() or target.read_text() != text:
            stale.append(name)
            if not args.check:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
    if args.check and stale:
        print(f"out of date: {', '.join(stale)}: run python tools/generate_skeleton.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
