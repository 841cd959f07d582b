"""The course's nbgrader feedback pages: named checks, math drawn in advance, nothing fetched.

``assignments/nbgrader_config.py`` uses the template in
``assignments/templates/micrograd_feedback/`` (nbgrader's feedback page, with
each check named by its part) and ``MathAsSVG``, which turns the notebooks'
``$...$`` and ``$$...$$`` into SVG pictures drawn by matplotlib's mathtext, so
the page shows its formulas offline and loads no MathJax from a CDN.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

TEMPLATES = Path(__file__).resolve().parent.parent / "assignments" / "templates"
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
