"""Reporters: a ``SubmissionResult`` in, text for a reader out.

Each module exposes ``render(result) -> str``; ``REPORTERS`` maps the CLI's
``--format`` names to them.  Everything they show comes from the result's
fields (the rubric's visibility included), never from re-reading text.
"""

from __future__ import annotations

from collections.abc import Callable

from micrograd_feedback.result import SubmissionResult

from . import gradescope, json_report, junit, markdown, prairielearn, text

REPORTERS: dict[str, Callable[[SubmissionResult], str]] = {
    "text": text.render,
    "json": json_report.render,
    "gradescope": gradescope.render,
    "junit": junit.render,
    "markdown": markdown.render,
    "prairielearn": prairielearn.render,
}
