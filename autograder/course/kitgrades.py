"""The step of nbgrader's autograde pipeline that takes ``Execute``'s place in ``nbgrader-autograde``.

``KitGrades`` fills each check cell (``check_<part>``) with what its hidden
tests print under ``nbgrader autograde`` (the part's report, the picture of a
wrong gradient, the points as the cell's result), from the kit's result for
that student; ``nbgrader_fast.py`` runs nbgrader's ``Autograde`` with it.
A module of its own: importing nbgrader takes seconds, which the command
spends grading meanwhile.
"""

from __future__ import annotations

from pathlib import Path

from nbgrader.preprocessors.base import NbGraderPreprocessor
from traitlets import Instance, Unicode

from .notebooks import (
    _rubric_parts,
    cell_locator,
    format_part,
    nothing_graded,
    submitted_notebooks,
    wrong_gradient_picture,
)


class KitGrades(NbGraderPreprocessor):
    """Fill each check cell (``check_<part>``) with what its hidden tests print under autograde."""

    arrivals = Instance("autograder.course.autograde.Arrivals", allow_none=True,
                        help="where each student's result comes from, as the batch stamps it").tag(config=True)
    course = Unicode("", help="the course's root folder").tag(config=True)

    def preprocess(self, nb, resources):
        student = resources["nbgrader"]["student"]
        assignment = resources["nbgrader"]["assignment"]
        # The notebooks a check cell would grade under autograde (it runs in autograded/<student>/<assignment>/).
        files = submitted_notebooks(Path(self.course) / "autograded" / student / assignment)
        locate = cell_locator(files) if files else None  # once per notebook: it parses the notebook
        assert self.arrivals is not None, "nbgrader-autograde configures where the results come from"
        sources = self.arrivals.sources(student)  # what the batch graded, assembled from those notebooks
        result = self.arrivals.result(student)
        ordinal = 0
        for cell in nb.cells:
            if cell.cell_type == "code":
                # numbered as a run top to bottom numbers them, so "Cell In[5]" in a report is the cell showing In [5]
                ordinal += 1
                cell.execution_count = ordinal
            grade = cell.metadata.get("nbgrader", {})
            part = str(grade.get("grade_id", "")).removeprefix("check_")
            is_check = cell.cell_type == "code" and grade.get("grade") and not grade.get("solution")
            if is_check and part in _rubric_parts():
                cell.outputs = check_cell_outputs(part, result, sources, locate)
        return nb, resources


def check_cell_outputs(part: str, result: dict, sources: dict[str, str], locate=None) -> list:
    """The outputs of ``check("<part>")``, ``report("<part>")`` and ``score("<part>")`` under autograde."""
    import nbformat

    module = _rubric_parts()[part].module
    if module not in sources:  # as notebooks._live_result: nothing to grade, no grader run
        result = nothing_graded()
    text = format_part(part, result, module in sources, locate=locate)
    outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"{text}\n")]
    svg = wrong_gradient_picture(part, result)
    if svg:
        picture = svg.decode()
        outputs.append(nbformat.v4.new_output("display_data", data={
            "image/svg+xml": picture[picture.find("<svg"):], "text/plain": "<IPython.core.display.SVG object>"}))
    try:
        points = float(result["parts"][part]["score"])
    except (KeyError, TypeError, ValueError):
        points = 0.0
    outputs.append(nbformat.v4.new_output("execute_result", data={"text/plain": repr(points)}, execution_count=1))
    return outputs
