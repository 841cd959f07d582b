"""Generate the nbgrader course notebooks from readable sources and the reference solution.

Sources live in ``assignments/notebook_src/<assignment>.md``: prose in
Markdown, code in fenced blocks.  The info string of a fence says what the
cell is (one word or ``key=value`` after ``python``)::

    ```python                      a free cell: a demonstration the student may edit and rerun
    ```python readonly             a provided, read-only cell (nbgrader restores it when grading)
    ```python include=engine:Value code of solutions/engine.py's top-level Value; a solution
                                   cell when it holds ### BEGIN SOLUTION regions, else read-only
    ```python provided=engine      the whole reference engine, solution markers removed (read-only)
    ```python check=add            the graded test cell of rubric part "add" (points from the rubric)

A rubric part no source places (a newly added operation, say) gets its section
(a heading, its rubric ``prose``) and check cell right after the check cell of
the part before it in the rubric among its module's parts: adding a graded part
needs no notebook edit.  A ``check=`` block of a part the rubric no longer has
makes no cell.

The solution code is never copied by hand: ``include`` takes it from
``solutions/`` with the nbgrader markers kept inside the method bodies, and the
``# Hint:`` line moved just above ``### BEGIN SOLUTION`` so that it survives
nbgrader's ClearSolutions.  Run ``python tools/generate_notebooks.py`` after
changing a source, the reference or the rubric; ``--check`` exits 1 when the
committed notebooks are out of date.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.course import notebooks
from autograder.rubric import load_rubric
from micrograd_feedback import cells
from tools.generate_skeleton import BEGIN, find_regions

SOLUTIONS = ROOT / "solutions"
NOTEBOOK_SRC = ROOT / "assignments" / "notebook_src"
SOURCE = ROOT / "assignments" / "source"
# assignment id -> the modules its students write (the rubric's [assignments]: the others are not theirs to grade)
ASSIGNMENTS = load_rubric().assignments

FENCE = re.compile(r"^```python(?P<info>[^\n]*)\n(?P<code>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
CHECK_CELL = """\
# Check `{part}`: {title}.
# Public checks on the code you have run: this cell fails, saying why, until
# the part is right. (`check` is imported here, so that a variable of yours
# named `check` cannot break the cell.)
from micrograd_feedback.notebook import check
check("{part}")
### BEGIN HIDDEN TESTS
# The course's grader (only in the instructor's environment): the diagnosis, then the points.
from autograder.notebooks import report, score
report("{part}")
score("{part}")
### END HIDDEN TESTS"""


def notebook_view(module: str) -> str:
    """solutions/<module>.py with each ``# Hint:`` (all its lines) moved above its ``### BEGIN SOLUTION``.

    The line count is unchanged, so the AST line numbers of the original hold.
    """
    source = (SOLUTIONS / f"{module}.py").read_text()
    lines = source.splitlines()
    for region in find_regions(source, f"solutions/{module}.py"):
        hint = lines[region.begin + 1 : region.begin + 1 + region.hint_lines]
        lines[region.begin : region.begin + 1 + region.hint_lines] = [*hint, lines[region.begin]]
    return "\n".join(lines) + "\n"


def without_markers(module: str) -> str:
    """solutions/<module>.py as plain code: no solution markers, no hints."""
    source = (SOLUTIONS / f"{module}.py").read_text()
    drop: set[int] = set()
    for region in find_regions(source, f"solutions/{module}.py"):
        drop |= {region.begin, *range(region.begin + 1, region.begin + 1 + region.hint_lines), region.end}
    return "\n".join(line for i, line in enumerate(source.splitlines()) if i not in drop) + "\n"


def top_level_code(source: str, wanted: list[str] | None = None) -> str:
    """The top-level statements of ``source`` named in ``wanted`` (all if None), in file order.

    Skipped: the module docstring, ``from __future__`` and relative imports
    (a notebook is not a package; the grader adds the engine import back).
    A statement's name is the class/function/variable it defines, or the
    module an ``import`` binds.
    """
    tree = ast.parse(source)
    lines = source.splitlines()
    pieces, found = [], set()
    for index, node in enumerate(tree.body):
        if index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        if isinstance(node, ast.ImportFrom) and (node.module == "__future__" or node.level):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [alias.asname or alias.name for alias in node.names]
        else:
            names = cells._top_level_definitions(ast.Module(body=[node], type_ignores=[]))
        if wanted is not None and not set(names) & set(wanted):
            continue
        found |= set(names)
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        # keep the comment lines directly above a definition: they explain it
        while first > 1 and lines[first - 2].lstrip().startswith("#"):
            first -= 1
        last = node.end_lineno or node.lineno
        # and the indented comments right after it: the AST ends a function at its last
        # statement, before a closing `### END SOLUTION`
        while (
            last < len(lines) and lines[last].startswith((" ", "\t")) and lines[last].lstrip().startswith("#")
        ):
            last += 1
        pieces.append("\n".join(lines[first - 1 : last]))
    missing = set(wanted or []) - found
    if missing:
        raise ValueError(f"not defined at top level: {sorted(missing)}")
    separator = "\n" if all(p.startswith(("import ", "from ")) for p in pieces) else "\n\n\n"
    return separator.join(pieces)


def _metadata(kind: str, grade_id: str, points: float | None = None) -> dict:
    """nbgrader cell metadata (schema 3) for a solution, read-only or test cell."""
    meta = {
        "grade": kind == "test",
        "grade_id": grade_id,
        "locked": kind != "solution",
        "schema_version": 3,
        "solution": kind == "solution",
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def build_notebook(assignment: str) -> nbformat.NotebookNode:
    """The source notebook of one assignment, from its Markdown source."""
    rubric = load_rubric()
    text = (NOTEBOOK_SRC / f"{assignment}.md").read_text()
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": KERNELSPEC,
        "language_info": {"name": "python"},
    }
    cells: list[nbformat.NotebookNode] = []
    used_ids: set[str] = set()

    def unique(grade_id: str) -> str:
        base, n = grade_id, 1
        while grade_id in used_ids:
            n += 1
            grade_id = f"{base}_{n}"
        used_ids.add(grade_id)
        return grade_id

    def add_markdown(chunk: str) -> None:
        chunk = chunk.strip("\n")
        if chunk.strip():
            cells.append(nbformat.v4.new_markdown_cell(chunk))

    position = 0
    for match in FENCE.finditer(text):
        add_markdown(text[position : match.start()])
        position = match.end()
        info = dict(_parse_info(match["info"]))
        code = match["code"].rstrip("\n")
        if "check" in info:
            if info["check"] not in rubric.parts:  # a part the course no longer grades: no check cell
                continue
            part = rubric.parts[info["check"]]
            cell = check_cell(part, unique)
            followers = unplaced_after(part.id)
        elif "include" in info:
            module, _, names = info["include"].partition(":")
            source = top_level_code(notebook_view(module), names.split(",") if names else None)
            kind = "solution" if BEGIN in source else "readonly"
            grade_id = unique(f"{module}_{names.split(',')[0].strip('_').lower() or 'code'}")
            cell = nbformat.v4.new_code_cell(source, metadata=_metadata(kind, grade_id))
            cell.metadata["micrograd"] = {"module": module}
        elif "provided" in info:
            module = info["provided"]
            source = top_level_code(without_markers(module))
            cell = nbformat.v4.new_code_cell(
                source, metadata=_metadata("readonly", unique(f"provided_{module}"))
            )
            cell.metadata["micrograd"] = {"provided": module}
            cell.metadata["jupyter"] = {"source_hidden": True}  # long and not the point: collapsed
        elif "readonly" in info:
            cell = nbformat.v4.new_code_cell(
                code, metadata=_metadata("readonly", unique(f"cell_{len(cells)}"))
            )
        else:
            # Deliberately no nbgrader metadata: nbgrader's add_missing_cells puts a deleted test
            # cell back after the previous *graded or solution* cell, and fails when a read-only
            # cell sits in between; demonstrations are the student's to play with anyway.
            cell = nbformat.v4.new_code_cell(code, metadata=keep_going())
        if code and ("include" in info or "provided" in info or "check" in info):
            raise ValueError(f"{assignment}.md: a ```python {match['info'].strip()}``` block must be empty")
        cells.append(cell)
        if "check" in info:
            for follower in followers:  # a part no source places: its own section, from the rubric
                spec = rubric.parts[follower]
                if spec.prose:
                    cells.append(nbformat.v4.new_markdown_cell(f"## {spec.title}\n\n{spec.prose}"))
                cells.append(check_cell(spec, unique))
    add_markdown(text[position:])
    for number, cell in enumerate(cells):
        cell.id = f"cell-{number:03d}"  # stable ids: regenerating gives the same file
    nb.cells = cells
    _validate(assignment, nb)
    return nb


# A demonstration or a check that fails does not stop Run All (JupyterLab and nbclient honour the tag):
# a bug in one operation must not keep the student from every check below it.  The error still shows,
# and nbgrader's Validate still fails on a failing check cell.
def keep_going() -> dict:
    return {"tags": ["raises-exception"]}


def check_cell(part, unique) -> nbformat.NotebookNode:
    source = CHECK_CELL.format(part=part.id, title=part.title)
    metadata = {**_metadata("test", unique(f"check_{part.id}"), part.points), **keep_going()}
    return nbformat.v4.new_code_cell(source, metadata=metadata)


def placed_parts() -> dict[str, str]:
    """Rubric part -> the assignment whose source places its check cell (``check=``)."""
    parts = {}
    graded = load_rubric().parts
    for assignment in ASSIGNMENTS:
        text = (NOTEBOOK_SRC / f"{assignment}.md").read_text()
        for part in re.findall(r"^```python\s+check=(\w+)", text, re.MULTILINE):
            if part not in graded:  # no longer graded: no check cell (build_notebook skips it too)
                continue
            if part in parts:
                raise ValueError(f"part {part} is checked twice")
            parts[part] = assignment
    return parts


def unplaced_after(part_id: str) -> list[str]:
    """The parts of ``part_id``'s module that come right after it in the rubric and no source places
    (a part appended at the rubric's end follows the last placed part of its module)."""
    rubric, placed = load_rubric(), placed_parts()
    order = [p for p in rubric.parts if rubric.parts[p].module == rubric.parts[part_id].module]
    followers = []
    for later in order[order.index(part_id) + 1:]:
        if later in placed:
            break
        followers.append(later)
    return followers


def _parse_info(info: str):
    for word in info.split():
        key, _, value = word.partition("=")
        yield key, value


def _validate(assignment: str, nb: nbformat.NotebookNode) -> None:
    """Catch mistakes that would grade the wrong cells."""
    own = ASSIGNMENTS[assignment]
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("micrograd", {})
        if "provided" in meta:
            continue
        module = notebooks.cell_module(cell.source, meta.get("module"))
        if module is not None and module not in own:
            raise ValueError(f"{assignment}: a cell defines {module}.py code, which is not this assignment's")
        if module is not None and "module" not in meta:
            names = [n for n in notebooks.defined_names(cell.source) if n in notebooks.module_names()]
            raise ValueError(
                f"{assignment}: an untagged cell defines {names}: the grader would take it as {module}.py"
            )
    nbformat.validate(nb)


def course_parts() -> dict[str, str]:
    """Rubric part -> the assignment whose notebook grades it (placed, or following a placed part)."""
    parts = dict(placed_parts())
    for part_id, assignment in list(parts.items()):
        parts.update(dict.fromkeys(unplaced_after(part_id), assignment))
    return parts


def rendered() -> dict[Path, str]:
    """Every generated notebook: path -> file contents."""
    missing = set(load_rubric().parts) - set(course_parts())
    if missing:
        raise ValueError(f"rubric parts no notebook grades: {sorted(missing)}")
    return {
        SOURCE / assignment / f"{assignment}.ipynb": nbformat.writes(build_notebook(assignment)) + "\n"
        for assignment in ASSIGNMENTS
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="only report whether the notebooks are up to date"
    )
    args = parser.parse_args(argv)
    stale = []
    for path, text in rendered().items():
        if not path.exists() or path.read_text() != text:
            stale.append(str(path.relative_to(ROOT)))
            if not args.check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
    if args.check and stale:
        print(f"out of date: {', '.join(stale)}: run python tools/generate_notebooks.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
