"""A student's feedback file (Markdown) from a result, with a picture for a wrong gradient.

Everything here runs on the trusted side and reads only the result's fields
(the student's own text in them is already capped and sanitised).  For the
first wrong gradient of an engine operation, the case the check ran is
rebuilt with the *reference* engine and drawn; the inputs whose gradient
differs from the student's are marked in red with both values.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from micrograd_feedback.probes import outputs_first
from micrograd_feedback.result import CheckResult, GradientCase, SubmissionResult, distinct_diagnoses, wrapped
from micrograd_feedback.untrusted import markdown_block, markdown_text


def render(name: str, result: SubmissionResult, folder: Path) -> str:
    """The Markdown feedback for ``result``; pictures are written into ``folder``."""
    lines = [f"# Feedback for {markdown_text(name)}", ""]
    lines += [f"**Score: {result.score:g} / {result.max_score:g}**", ""]
    lines += ["| Part | Score | Out of |", "|---|---:|---:|"]
    for part in result.parts.values():
        mark = "" if part.score == part.max_score else " ✗"
        lines.append(f"| {markdown_text(part.title)} | {part.score:g}{mark} | {part.max_score:g} |")
    lines.append("")
    if result.problems:
        lines += ["## Files that could not be graded", ""]
        lines += [f"- {markdown_text(message)}" for message in result.problems.values()]
        lines.append("")
    failed_parts = [p for p in result.parts.values() if p.score < p.max_score]
    if failed_parts:
        lines += ["## What to fix", "", "The first failed check of each part that lost points:", ""]
    for part in failed_parts:
        failed = result.failed(part.id)
        if not failed:
            continue
        first = failed[0]
        lines += [f"### {markdown_text(part.title)}", ""]
        lines.append(f"{len(failed)} of {len(result.checks_of(part.id))} checks failed; the first:")
        lines += ["", markdown_block(wrapped(first.message, 100)), ""]
        for diagnosis in distinct_diagnoses(failed[1:], exclude=first.keys()):
            lines += [f"Another failed check of this part also shows: {markdown_text(diagnosis.text())}", ""]
        picture = gradient_picture(first, folder / f"graph-{part.id}.svg")
        if picture:
            lines += [f"![The expression graph; red: wrong gradient]({picture.name})", "",
                      "The graph of that expression, computed by the reference engine. Each box shows a "
                      "node's value and its correct gradient; the red boxes are the first nodes whose "
                      "gradient differs from yours (your value is in their label).", ""]
    if not failed_parts:
        lines += ["Every check passed. Well done!", ""]
    lines += ["---", f"Graded in isolation: {markdown_text(result.isolation or 'unknown')}", ""]
    return "\n".join(lines)


PAGE_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border-bottom: 1px solid #ddd; padding: .3em .6em; text-align: left; }
td:nth-child(n+2), th:nth-child(n+2) { text-align: right; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f8fa; padding: .8em; border-radius: 4px; }
img { max-width: 100%; height: auto; }
"""


def render_html(markdown: str, folder: Path, title: str) -> str:
    """The feedback as one self-contained HTML page (opens offline; long lines wrap): the Markdown
    rendered with raw HTML off, so nothing in it is markup but the kit's own, and each picture it
    names inlined."""
    import base64
    import html

    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)

    def inline(match: re.Match) -> str:
        path = folder / html.unescape(match.group(1))
        if path.parent != folder or path.suffix != ".svg" or not path.is_file():
            return match.group(0)
        return f'src="data:image/svg+xml;base64,{base64.b64encode(path.read_bytes()).decode()}"'

    body = re.sub(r'src="(graph-[\w.-]+\.svg)"', inline, body)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{PAGE_STYLE}</style></head><body>\n{body}</body></html>\n")


def gradient_picture(check: CheckResult, path: Path) -> Path | None:
    """Draw the check's expression with the reference engine, marking wrong gradients; None if n/a."""
    case = check.case
    if case is None or len(case.expr) > 2000:
        return None
    svg = draw_case(case)
    if svg is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(svg)
    return path


def draw_case(case: GradientCase, fmt: str = "svg") -> bytes | None:
    """The picture of ``case``: its graph by the reference engine, wrong gradients in red."""
    try:
        from solutions.engine import Value
        from solutions.viz import draw_dot
    except ImportError:
        return None
    leaves = {name: Value(value, label=name) for name, value in case.inputs.items()}
    try:
        out = eval(case.expr, {"__builtins__": {}}, dict(leaves))  # noqa: S307 - the grader's own expression
    except Exception:  # noqa: BLE001 - an expression the reference cannot draw: no picture
        return None
    if not isinstance(out, Value):
        return None
    out.label = "out"
    out.grad = case.out_grad
    for node in outputs_first(out, lambda node: node._prev):
        node._backward()
    wrong = []
    for name, leaf in leaves.items():
        mine = case.got.get(name)
        if mine is None or not _close(mine, leaf.grad):
            leaf.label = f"{name} (yours: grad {_number(mine)})"
            wrong.append(leaf)
    if not wrong:
        return None
    try:
        return draw_dot(out, highlight=wrong).pipe(format=fmt)
    except Exception:  # noqa: BLE001 - no graphviz (`dot`) here: feedback without the picture
        return None


def _close(a: float, b: float) -> bool:
    return math.isfinite(a) and math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-6)


def _number(x) -> str:
    return "missing" if x is None else f"{x:.6g}"
