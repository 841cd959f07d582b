"""Which notebook cells make up which module: one rule for the grader and for a student's kernel.

A code cell belongs to a module when the notebook generator tagged it (metadata
``{"micrograd": {"module": "engine"}}``) or when it defines at top level a
name the module defines (``Value``, ``Neuron``, ``mse_loss``, ...; the table
in ``modules.py``), so a cell a student deleted and re-typed still counts.
When several cells define the same name, the last one wins, as it would when
the cells run top to bottom.  Cells tagged ``{"micrograd": {"provided": ...}}``
(the engine handed out with the second assignment) never count as the
student's.  Every path builds byte-identical sources from the same cells, so
the grader sees the same code and gives the same per-part score.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .modules import DEFINED_IN, MODULES

# Prepended to every extracted module.  The imports a reference module uses are
# always available, so that a student who imported math in another cell is not
# punished; nn and train import the engine as the package skeleton does.
PRELUDE = {
    "engine": "import math\nimport random\n",
    "nn": "import math\nimport random\n\nfrom .engine import Value\n",
    "train": "import math\nimport random\n\nfrom .engine import Value\n",
}
# Top-level names at column 0, for cells that do not parse (a SyntaxError must
# still be attributed to its module, so the grader can report it).
_DEFINITION = re.compile(
    r"^(?:class|def)\s+([A-Za-z_]\w*)|^([A-Za-z_]\w*)\s*(?::[^=\n]*)?=(?!=)", re.MULTILINE
)


@dataclass
class Assembled:
    """One module's source, assembled from cells, and where each of its lines came from."""

    source: str
    origins: list[tuple[int, int] | None] = field(default_factory=list)  # line - 1 -> (cell index, cell line)

    def origin(self, line: int) -> tuple[int, int] | None:
        """(cell index, line in that cell) of the module's ``line`` (1-based), None for the prelude."""
        return self.origins[line - 1] if 0 < line <= len(self.origins) else None


_IPYTHON_LINE = re.compile(r"^([ \t]*)([%!].*)$", re.MULTILINE)


def without_ipython_commands(source: str) -> str:
    """A cell's source as Python: where it does not parse, each IPython command line (``%magic``,
    ``%%writefile`` ..., ``!shell``) becomes ``pass`` with the command as a comment, so that the
    Python around it is graded (the grader runs no command; ``notebook_integrity`` says so).
    Source that parses as it is stays byte for byte the same."""
    if not _IPYTHON_LINE.search(source):
        return source
    try:
        ast.parse(source)
        return source
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        pass
    return _IPYTHON_LINE.sub(lambda m: f"{m[1]}pass  # IPython, not run by the grader: {m[2]}", source)


def module_names() -> dict[str, str]:
    """Top-level name -> module, for every name the reference modules define."""
    return DEFINED_IN

def defined_names(source: str) -> list[str]:
    """Names a cell defines at top level (classes, functions, assignments), in order."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return [a or b for a, b in _DEFINITION.findall(source)]
    return _top_level_definitions(tree)


def _top_level_definitions(tree: ast.Module) -> list[str]:
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [t.id for t in targets if isinstance(t, ast.Name)]
    return names


def cell_module(source: str, tag: str | None = None) -> str | None:
    """The module a code cell belongs to: its tag, else the first reference name it defines."""
    if tag in MODULES:
        return tag
    known = module_names()
    for name in defined_names(source):
        if name in known:
            return known[name]
    return None


def modules_from_cells(cells: Iterable[tuple[str, str | None]]) -> dict[str, str]:
    """Module -> source (see ``assemble``)."""
    return {module: assembled.source for module, assembled in assemble(cells).items()}


def assemble(cells: Iterable[tuple[str, str | None]]) -> dict[str, Assembled]:
    """Module -> source, from ``(cell source, module tag or None)`` pairs in execution order.

    A cell whose every definition is redefined by a later cell is dropped (the
    student ran an edited copy); modules no cell contributes to are absent.
    """
    chosen: dict[str, dict[str, int]] = {m: {} for m in MODULES}  # module -> name -> cell index
    sources: list[str] = []
    for index, (source, tag) in enumerate(cells):
        source = without_ipython_commands(source)
        sources.append(source)
        module = cell_module(source, tag)
        if module is None:
            continue
        names = defined_names(source) or [f"<cell {index}>"]  # a tagged cell may define nothing
        for name in names:
            chosen[module][name] = index
    result = {}
    for module in MODULES:
        indices = sorted(set(chosen[module].values()))
        if not indices:
            continue
        text = PRELUDE[module] + "\n"
        origins: list[tuple[int, int] | None] = [None] * text.count("\n")
        for number, i in enumerate(indices):
            lines = sources[i].split("\n")
            first = next((k for k, line in enumerate(lines) if line.strip()), 0)  # leading blank lines dropped
            body = sources[i].strip("\n").rstrip()
            text += ("\n\n\n" if number else "\n") + body
            origins += [None] * (2 if number else 1)
            origins += [(i, first + k + 1) for k in range(body.count("\n") + 1)]
        result[module] = Assembled(text + "\n", origins)
    return result


def cells_of(document: bytes) -> list[tuple[str, str | None]]:
    """The ``(source, module tag)`` pairs of a notebook's code cells, provided ones left out."""
    return [(source, tag) for _, source, tag in student_cells(document)]


def student_cells(document: bytes) -> list[tuple[int, str, str | None]]:
    """``(ordinal, source, module tag)`` of a notebook's code cells, provided ones left out; the
    ordinal counts every code cell from 1 (a notebook run top to bottom shows it as ``In[n]``).

    Reads the JSON leniently: a hand-edited notebook that nbformat would reject
    still yields its cells; one that is not a notebook at all (nested 100,000
    deep, ``"cells": null``, not JSON) yields nothing, never an exception.
    """
    try:
        data = json.loads(document.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError, MemoryError):
        return []
    raw_cells = data.get("cells") if isinstance(data, dict) else None
    cells = []
    ordinal = 0
    for cell in raw_cells if isinstance(raw_cells, list) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        ordinal += 1
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(line for line in source if isinstance(line, str))
        elif not isinstance(source, str):
            continue
        metadata = cell.get("metadata")
        meta = metadata.get("micrograd", {}) if isinstance(metadata, dict) else {}
        meta = meta if isinstance(meta, dict) else {}
        if meta.get("provided"):
            continue
        tag = meta.get("module")
        cells.append((ordinal, source, tag if isinstance(tag, str) else None))
    return cells


def modules_from_documents(documents: Sequence[bytes]) -> dict[str, str]:
    """``extract_modules`` for notebooks already read (as bytes)."""
    return modules_from_cells([cell for document in documents for cell in cells_of(document)])


