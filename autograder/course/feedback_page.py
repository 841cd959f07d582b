"""The course's nbgrader feedback pages: named checks, math drawn in advance, nothing fetched.

``assignments/nbgrader_config.py`` gives ``generate_feedback`` the exporter
``FeedbackPage``: the template in ``assignments/templates/micrograd_feedback/``
(nbgrader's feedback page, with each check named by its part), and
``MathAsSVG``, which turns the notebooks' ``$...$`` and ``$$...$$`` into SVG
pictures drawn by matplotlib's mathtext, so the page shows its formulas offline
and loads no MathJax from a CDN.  Only ``generate_feedback`` uses it:
formgrader renders submissions with its own ``HTMLExporter`` and template, which
a global ``HTMLExporter`` setting would break ("TemplateNotFound").
"""

from __future__ import annotations

import base64
import io
import logging
import re
from pathlib import Path

import nbgrader
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from nbgrader.preprocessors import ClearHiddenTests
from traitlets import Bool, List

TEMPLATES = Path(__file__).resolve().parents[2] / "assignments" / "templates"
NBGRADER_TEMPLATES = Path(nbgrader.__path__[0]) / "server_extensions" / "formgrader" / "templates"
NO_SCRIPT = "data:text/javascript,"  # the page's MathJax URL: loads nothing
_MATH = re.compile(r"\$\$(.+?)\$\$|\$([^$\n]+?)\$", re.DOTALL)


def math_svg(tex: str) -> str | None:
    """``tex`` drawn as an SVG, or None when mathtext cannot draw it (the text is left as it is)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import mathtext

    buffer = io.StringIO()
    try:
        mathtext.math_to_image(f"${' '.join(tex.split())}$", buffer, format="svg", dpi=100)
    except (ValueError, RuntimeError):
        return None
    return buffer.getvalue()


class FeedbackPage(HTMLExporter):
    """The course's feedback page: ``generate_feedback``'s exporter only (``c.GenerateFeedback.exporter_class``).

    nbgrader's ``GenerateFeedback`` configures ``HTMLExporter`` (its own template), which a subclass
    inherits, and formgrader does the same for its page; so the course configures this class by
    name, which wins over both, and leaves ``HTMLExporter`` to them (``configure``)."""

    @staticmethod
    def configure(config) -> None:
        config.GenerateFeedback.exporter_class = FeedbackPage
        config.FeedbackPage.template_name = "micrograd_feedback"
        config.FeedbackPage.template_file = "page.html.j2"
        config.FeedbackPage.extra_template_basedirs = [str(NBGRADER_TEMPLATES), str(TEMPLATES)]
        config.FeedbackPage.mathjax_url = NO_SCRIPT


class MathAsSVG(Preprocessor):
    """Markdown math (``$...$``, ``$$...$$``) to inline SVG images."""

    enabled = Bool(True).tag(config=True)  # nbconvert's preprocessors are off unless enabled

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown" and "$" in cell.source:
            cell.source = _MATH.sub(_picture, cell.source)
        return cell, resources


def _picture(match: re.Match) -> str:
    display, inline = match.group(1), match.group(2)
    tex = (display or inline).strip()
    svg = math_svg(tex)
    if svg is None:
        return match.group(0)
    image = f'<img alt="{tex}" src="data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()}"/>'
    return f'<p style="text-align: center">{image}</p>' if display else image


class HiddenTestsRemoved(ClearHiddenTests):
    """nbgrader's ClearHiddenTests for the feedback page.  nbgrader declares its
    ``display_data_priority`` without ``config=True``, so nbconvert's HTML settings for it made
    every ``generate_feedback`` warn "Config option not recognized"; here it is configurable."""

    display_data_priority = List(["text/html", "application/pdf", "text/latex", "image/svg+xml", "image/png",
                                  "image/jpeg", "text/plain"]).tag(config=True)


class ScoreNotEchoed(Preprocessor):
    """A check cell ends with ``score("relu")``, whose value (the points) nbgrader reads as the cell's
    grade; the page already shows it in the cell's heading, so the bare ``Out[n]: 0.0`` goes.  Runs
    after ``GetGrades``."""

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        grade = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and grade.get("grade") and not grade.get("solution"):
            cell.outputs = [output for output in cell.outputs if output.output_type != "execute_result"]
        return cell, resources


class HiddenCheckChecksums(logging.Filter):
    """Drop nbgrader's "Attribute 'checksum' for cell check_... has changed!" warnings.

    Every check cell holds hidden tests: nbgrader stores its checksum before removing them and
    compares the student's (released) cell with it, so each one warns on every submission
    (jupyter/nbgrader#1961), ~90 lines a run.  autograde overwrites these cells from the gradebook
    anyway; warnings about any other cell still show.
    """

    PATTERN = re.compile(r"Attribute 'checksum' for cell (check_\S+) has changed")

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.PATTERN.search(record.getMessage())


def quiet_hidden_check_checksums(app_names: tuple[str, ...] = ("AutogradeApp", "NbGraderAPI")) -> None:
    for name in app_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, HiddenCheckChecksums) for f in logger.filters):
            logger.addFilter(HiddenCheckChecksums())
