"""Markdown, for a CI job summary or a release body: a table of points per part with what went
wrong in each, then the first failed check of each part that lost points, in full."""

from __future__ import annotations

from micrograd_feedback.result import PartResult, SubmissionResult, distinct_diagnoses
from micrograd_feedback.untrusted import markdown_block, markdown_code, markdown_text

WITHHELD = "details withheld until grades are released"


def render(result: SubmissionResult) -> str:
    lines = [f"## micrograd: {result.score:g} / {result.max_score:g} points", ""]
    lines += [f"> {markdown_text(problem)}" for problem in result.problems.values()]
    if result.problems:
        lines.append("")
    lines += ["| | part | points | what went wrong |", "|---|---|---:|---|"]
    for part in result.parts.values():
        lines.append(f"| {_mark(part)} | {_cell(part.title)} | {part.score:g} / {part.max_score:g} | "
                     f"{_cell(_why(result, part))} |")
    for part in result.parts.values():
        failed = result.failed(part.id)
        if not failed or part.visibility != "visible":
            continue
        lines += ["", f"### {part.title}: {part.score:g} / {part.max_score:g}", "",
                  f"{len(failed)} of {len(result.checks_of(part.id))} checks failed; the first, "
                  f"{markdown_code(failed[0].name)}:", "", markdown_block(failed[0].message, info="")]
    if result.isolation:
        lines += ["", f"<sub>isolation: {result.isolation}</sub>"]
    return "\n".join(lines) + "\n"


def _mark(part: PartResult) -> str:
    return "✅" if part.score >= part.max_score else ("🟡" if part.score > 0 else "❌")


def _why(result: SubmissionResult, part: PartResult) -> str:
    failed = result.failed(part.id)
    if not failed:
        return ""
    if part.visibility != "visible":
        return WITHHELD
    diagnoses = distinct_diagnoses(failed)
    if diagnoses:
        return "; ".join(f"{d.key}: {d.advice}" for d in diagnoses[:2])
    first = failed[0].message.splitlines()
    return first[-1] if first else failed[0].status


def _cell(text: str) -> str:
    """One table cell: inert (no line break, column separator, HTML or link), not too long."""
    return markdown_text(" ".join(text.split()), cap=300)
