"""Notebooks in, modules out: the bridge between the nbgrader course and the grader.

Two entry points share one rule for which code cells make up which module:

* ``extract_modules(paths)`` reads submitted ``.ipynb`` files (for
  ``python -m autograder grade NOTEBOOK``);
* ``report(part)`` / ``score(part)`` run inside a kernel.  In a student's
  kernel they grade the cells it has executed (``In``): what the student ran,
  saved or not.  Under ``nbgrader autograde`` they grade the submitted file
  (see ``submitted_notebooks``), exactly as the command line does.

The rule: a code cell belongs to a module when the generator tagged it
(metadata ``{"micrograd": {"module": "engine"}}``) or when it defines at top
level a name the reference module defines (``Value``, ``Neuron``,
``mse_loss``, ...), so a cell a student deleted and re-typed still counts.
When several cells define the same name, the last one wins, as it would when
the cells run top to bottom.  Cells tagged ``{"micrograd": {"provided": ...}}``
(the reference engine handed out with the second assignment) never count.
Both paths build byte-identical sources from the same cells, so the grader
sees the same code and gives the same per-part score.

Student code never runs in the kernel for grading: ``score`` writes the
module to a temporary folder and runs ``python -m autograder grade`` in a
child process, whose output is captured (nbgrader zeroes a test cell that
writes anything to stderr).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from micrograd_feedback.cells import (  # noqa: F401 - re-exported: the grader's notebook vocabulary
    assemble,
    cell_module,
    cells_of,
    defined_names,
    module_names,
    modules_from_cells,
    modules_from_documents,
)
from micrograd_feedback.notebook import setup_notebook  # noqa: F401 - notebooks made before the move import it here

GRADER_TIMEOUT = 600  # seconds for one whole grading run, worker restarts included
MAX_MESSAGES = 3  # failed checks shown per part; the first one usually says it all
MAX_MESSAGE_CHARS = 1500

# ----------------------------------------------------------------------------
# Which cells make up which module
# ----------------------------------------------------------------------------
def notebook_cells(path: str | os.PathLike) -> list[tuple[str, str | None]]:
    """The ``(source, module tag)`` pairs of a notebook file's code cells (see ``cells_of``).

    The file is read as untrusted (no link followed, a regular file, bounded size)."""
    from ..intake.files import RefusedFile, read_path
    from ..intake.submission import MAX_NOTEBOOK_BYTES

    try:
        return cells_of(read_path(path, MAX_NOTEBOOK_BYTES))
    except (RefusedFile, OSError):
        return []


def extract_modules(notebook_paths: Sequence[str | os.PathLike]) -> dict[str, str]:
    """Module name ("engine", "nn", "train") -> Python source, from the student's notebooks.

    Notebooks are read in the order given and their cells concatenated, so a
    folder holding both assignments yields all three modules.  Never raises on
    a damaged notebook: what cannot be read contributes nothing.
    """
    cells: list[tuple[str, str | None]] = []
    for path in notebook_paths:
        cells += notebook_cells(path)
    return modules_from_cells(cells)


# ----------------------------------------------------------------------------
# Inside a kernel: grade what has been run
# ----------------------------------------------------------------------------
_results: dict[str, dict] = {}  # content digest -> grader result: one grading per content


@cache
def _rubric_parts() -> dict:
    """Part id -> rubric Part (module, points, title)."""
    from ..rubric import load_rubric

    return dict(load_rubric().parts)


def _executed_cells() -> list[tuple[str, str | None]]:
    """The inputs this kernel has executed, oldest first (IPython's ``In``)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return []
    shell = get_ipython()
    history = shell.user_ns.get("In", []) if shell is not None else []
    return [(source, None) for source in history if isinstance(source, str)]


def grade_modules(sources: dict[str, str]) -> dict:
    """The grader's result for these module sources, cached by content.

    A failed run (``{"error": ...}``) is not cached: running the cell again retries.
    """
    key = hashlib.sha256(json.dumps(sources, sort_keys=True).encode()).hexdigest()
    if key in _results:
        return _results[key]
    result = _run_grader(sources)
    if "error" not in result:
        _results[key] = result
    return result


def submitted_notebooks(cwd: Path | None = None) -> list[Path] | None:
    """Under ``nbgrader autograde``, the submitted notebooks this kernel is grading; else None.

    nbgrader runs a submission in ``<course>/autograded/<student>/<assignment>/``
    without writing the notebook there first; the student's file is in
    ``<course>/submitted/<student>/<assignment>/``.  Grading that file, rather
    than the kernel's history, gives exactly what ``python -m autograder grade``
    gives on it, with one grading run for the whole notebook.
    """
    cwd = cwd or Path.cwd()
    if cwd.parent.parent.name != "autograded":
        return None
    folder = cwd.parent.parent.parent / "submitted" / cwd.parent.name / cwd.name
    # Each assignment of this course is one notebook named after it; a stray copy the student
    # also handed in ("value_engine-Copy1.ipynb") must not replace it.
    main = folder / f"{cwd.name}.ipynb"
    if main.is_file():
        return [main]
    found = sorted(p for p in folder.glob("*.ipynb") if p.is_file())
    return found or None


def _run_grader(sources: dict[str, str]) -> dict:
    """``python -m autograder grade`` on the sources, in a child process; {"error": ...} if it failed."""
    with tempfile.TemporaryDirectory(prefix="micrograd-nb-") as tmp:
        folder = Path(tmp) / "submission"
        folder.mkdir()
        for module, text in sources.items():
            (folder / f"{module}.py").write_text(text, encoding="utf-8")
        out = Path(tmp) / "result.json"
        command = [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(folder),
            "--format",
            "json",
            "--output",
            str(out),
        ]
        try:
            done = subprocess.run(
                command,
                check=False,
                capture_output=True,
                text=True,
                timeout=GRADER_TIMEOUT,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"the grader did not finish within {GRADER_TIMEOUT} s"}
        try:
            return json.loads(out.read_text())
        except (OSError, ValueError):
            detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            return {"error": f"the grader failed (exit status {done.returncode}): {' | '.join(detail)}"}


def _live_result(part: str) -> tuple[dict, str | None]:
    """The grader's result for the module holding ``part``, and that module's source."""
    parts = _rubric_parts()
    if part not in parts:
        raise KeyError(f"unknown part {part!r}; the rubric has {sorted(parts)}")
    module = parts[part].module
    files = submitted_notebooks()
    if files is not None:  # nbgrader autograde: the submitted file, as the command line reads it
        sources = extract_modules(files)
    else:  # a student's kernel: the cells run so far; only this part's module, so others cannot interfere
        sources = {m: s for m, s in modules_from_cells(_executed_cells()).items() if m == module}
    if module not in sources:  # nothing to grade: no need to start the grader
        return nothing_graded(), None
    return grade_modules(sources), sources[module]


def nothing_graded() -> dict:
    """The result of a notebook with no cell of the part's module: every part 0, no check run."""
    return {"parts": {p.id: {"score": 0.0, "max_score": p.points} for p in _rubric_parts().values()}, "tests": []}


def score(part: str) -> float:
    """This part's points for the cells run so far (a plain float, as nbgrader expects)."""
    result, _ = _live_result(part)
    try:
        return float(result["parts"][part]["score"])
    except (KeyError, TypeError, ValueError):
        return 0.0


def report(part: str) -> None:
    """Print, to stdout only, this part's score and what failed, with the grader's diagnosis and
    where in the notebook (``Cell In[5], line 3``); show the picture of a wrong gradient."""
    result, source = _live_result(part)
    files = submitted_notebooks()
    print(format_part(part, result, source is not None, locate=cell_locator(files) if files else None))
    _show_picture(part, result)


def cell_locator(files: Sequence[Path]):
    """``(file, line) -> "Cell In[n], line m"`` for the modules assembled from these notebooks' cells
    (``n`` counts code cells from 1, as a notebook run top to bottom numbers them)."""
    from micrograd_feedback.cells import student_cells

    from ..intake.files import RefusedFile, read_path
    from ..intake.submission import MAX_NOTEBOOK_BYTES

    ordered: list[tuple[int, str, str | None]] = []
    for path in files:
        try:
            ordered += student_cells(read_path(path, MAX_NOTEBOOK_BYTES))
        except (RefusedFile, OSError):
            continue
    assembled = assemble([(source, tag) for _, source, tag in ordered])

    def locate(file: str, line: int) -> str | None:
        module = assembled.get(file.removesuffix(".py"))
        origin = module.origin(line) if module else None
        return None if origin is None else f"Cell In[{ordered[origin[0]][0]}], line {origin[1]}"

    return locate


def wrong_gradient_picture(part: str, result: dict) -> bytes | None:
    """The SVG of the part's first wrong gradient, drawn by the reference engine (None if there is none)."""
    from micrograd_feedback.result import SubmissionResult

    from ..reporters.feedback import draw_case

    try:
        failed = SubmissionResult.from_json(result).failed(part)
    except (KeyError, TypeError, ValueError):
        return None
    case = next((check.case for check in failed if check.case is not None), None)
    return draw_case(case) if case is not None else None


def _show_picture(part: str, result: dict) -> None:
    """The first wrong gradient of the part, drawn (an SVG output: it reaches the feedback HTML)."""
    svg = wrong_gradient_picture(part, result)
    if svg:
        try:
            from IPython.display import SVG, display
        except ImportError:
            return
        display(SVG(svg))


def format_part(part: str, result: dict, has_source: bool = True, locate=None) -> str:
    """A short text report of one part of a grader result (the contract's JSON)."""
    from micrograd_feedback.result import SubmissionResult, wrapped

    if "error" in result:
        return f"{part}: could not be graded: {result['error']}"
    try:
        graded = SubmissionResult.from_json(result)
        mine = graded.parts[part]
    except (KeyError, TypeError, ValueError):
        return f"{part}: the grader returned no result for this part"
    lines = [f"{part}: {mine.score:g} / {mine.max_score:g} points"]
    module = _rubric_parts()[part].module if part in _rubric_parts() else ""
    if not has_source:
        lines.append(f"  No cell defining {module}.py's code has been run yet: run the cells above first.")
        return "\n".join(lines)
    for key, problem in graded.problems.items():
        if key == module:
            lines.append(f"  {problem}")
    checks = graded.checks_of(part)
    failed = graded.failed(part)
    if checks and not failed:
        lines[0] += f": all {len(checks)} checks passed"
    elif checks:
        lines[0] += f": {len(checks) - len(failed)} of {len(checks)} checks passed"
    # The same bug usually fails many checks the same way: show each distinct cause once.
    shown, causes = 0, set()
    for check in failed:
        # one diagnosis is shown once, whatever the inputs; otherwise each distinct observation
        cause: tuple = tuple(check.keys()) or (check.error, check.expected, check.got)
        if cause in causes or shown == MAX_MESSAGES:
            continue
        causes.add(cause)
        shown += 1
        message = check.message
        where = check.where
        place = locate(*where) if locate and where else None
        if place and where:  # the notebook's terms for the line the grader saw in the module it assembled
            message = message.replace(f"({where[0]}, line {where[1]})", f"({place})")
        if len(message) > MAX_MESSAGE_CHARS:
            message = message[:MAX_MESSAGE_CHARS] + " ..."
        first, *rest = message.splitlines() or [check.status]
        lines += [f"  x {first}", *(f"    {line}" for line in rest)]
    if len(failed) > shown:
        lines.append(f"  ({len(failed) - shown} more failed checks, with the same or a related cause)")
    return wrapped("\n".join(lines))
