"""The browser self-check's Python side: the student's files in, the public checks' report out.

The student site (``tools/build_student_site.py``) runs this module in Pyodide,
in a Web Worker: ``check(part, files)`` writes the editor's ``engine.py``,
``nn.py`` and ``train.py`` into the ``micrograd_skeleton`` package, imports
them afresh and runs the part's public checks (``selfcheck``), the same ones
as the wheel's pytest and the notebooks' check cells; ``notebook(template,
files)`` turns the same files into the assignment's notebook.  Everything
here runs in CPython too, which is where the kit's tests exercise it first.
"""

from __future__ import annotations

import ast
import importlib
import json
import sys
import traceback
from pathlib import Path
from typing import Any

from . import selfcheck
from .modules import MODULES, PARTS
from .result import wrapped

PACKAGE = "micrograd_skeleton"
MARKER = ".browser-site"  # the site's own copy of the package holds it; only that copy is written to
NEEDS = {"engine": ("engine",), "nn": ("engine", "nn"), "train": ("engine", "nn", "train")}


def check(part: str, files: dict[str, str]) -> dict[str, Any]:
    """The public checks of ``part`` on ``files`` (``"engine.py"`` -> source): what the page shows."""
    sys.dont_write_bytecode = True  # a file rewritten within the same second must not run stale bytecode
    modules, broken = load(files)
    spec = PARTS[part]
    for module in NEEDS[spec.module]:
        if module in broken:
            return {"part": part, "passed": False, "failed": None, "total": None,
                    "report": wrapped(f"{selfcheck.heading(part)}: not checked: {broken[module]}")}
    results = selfcheck.check_part(part, modules)
    failed = sum(r.status != "passed" for r in results)
    return {"part": part, "passed": failed == 0, "failed": failed, "total": len(results),
            "report": selfcheck.report(part, results)}


def load(files: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Write ``files`` into the package and import each module afresh: (modules, module -> why it
    does not import).  A module that does not import leaves the others checkable."""
    package = importlib.import_module(PACKAGE)
    folder = Path(package.__file__ or PACKAGE).parent
    if not (folder / MARKER).exists():  # a student's own package: never overwrite their work
        raise RuntimeError(f"{folder} is not the browser site's copy of {PACKAGE} (no {MARKER})")
    for module in MODULES:
        (folder / f"{module}.py").write_text(files.get(f"{module}.py", ""))
        sys.modules.pop(f"{PACKAGE}.{module}", None)
    importlib.invalidate_caches()
    modules: dict[str, Any] = {}
    broken: dict[str, str] = {}
    for module in MODULES:
        try:
            modules[module] = importlib.import_module(f"{PACKAGE}.{module}")
        except BaseException as error:  # noqa: BLE001 - a student's module may raise anything on import
            sys.modules.pop(f"{PACKAGE}.{module}", None)
            broken[module] = does_not_run(f"{module}.py", error)
    return modules, broken


def does_not_run(name: str, error: BaseException) -> str:
    """``engine.py does not run: SyntaxError (line 12): ...``, located in the student's file."""
    if isinstance(error, SyntaxError):
        line = error.lineno
    else:
        frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).name == name]
        line = frames[-1].lineno if frames else None
    where = f" ({name}, line {line})" if line else ""
    message = error.msg if isinstance(error, SyntaxError) else str(error)
    return (f"{name} does not run: {type(error).__name__}{where}: {message}. Fix it first: no check of "
            f"{name} can run until the file runs.")


# == the assignment notebook ==================================================================
def notebook(template: str, files: dict[str, str]) -> str:
    """The assignment's notebook with the student's code in its answer cells.

    ``template`` is the released notebook as the site ships it: every answer cell empty, tagged with
    the names it defines (``metadata.micrograd.defines``), and the engine that the second assignment
    provides left out (``metadata.micrograd.provided``).  Each top-level definition of a file goes to
    the cell that defines that name; the file's other statements (imports, helpers) go first into the
    module's first answer cell; a provided engine is the student's own ``engine.py``."""
    nb = json.loads(template)
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    owners = {name: cell for cell in cells for name in cell["metadata"].get("micrograd", {}).get("defines", [])}
    firsts: dict[str, dict] = {}
    for cell in cells:
        meta = cell["metadata"].get("micrograd", {})
        if "defines" in meta:
            firsts.setdefault(meta["module"], cell)
            cell["source"] = ""
    for module, first in firsts.items():
        source = files.get(f"{module}.py", "")
        pieces = _statements(source)
        if pieces is None:  # it does not parse: the whole file where the module starts
            first["source"] = source
            continue
        extra = []
        for name, code in pieces:
            cell = owners.get(name) if name else None
            if cell is None or cell["metadata"]["micrograd"]["module"] != module:
                extra.append(code)
            else:
                cell["source"] = (cell["source"] + "\n\n\n" if cell["source"] else "") + code
        if extra:
            first["source"] = "\n".join(extra) + ("\n\n\n" + first["source"] if first["source"] else "")
    for cell in cells:
        meta = cell["metadata"].get("micrograd", {})
        if meta.get("provided") == "engine":
            pieces = _statements(files.get("engine.py", "")) or []
            cell["source"] = "# Your engine.py, in place of the engine the course provides.\n" + "\n".join(
                code for _, code in pieces)
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def _statements(source: str) -> list[tuple[str | None, str]] | None:
    """(name it defines or None, its source) for each top-level statement, the package's own relative
    imports and ``from __future__`` left out (a notebook has every name in one namespace)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    lines = source.splitlines()
    out = []
    end = 0  # the line the previous statement ended on: the comments after it belong to the next
    for node in tree.body:
        start, end = end, node.end_lineno or node.lineno
        if isinstance(node, ast.ImportFrom) and (node.level > 0 or node.module in ("__future__", PACKAGE)
                                                 or (node.module or "").startswith(PACKAGE + ".")):
            continue
        code = "\n".join(lines[start:end]).strip("\n")
        name = node.name if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else None
        out.append((name, code))
    return out
