"""Reporters: a result dict (CONTRACT.md section 3) in, text for a reader out.

Each module exposes ``render(result: dict) -> str``; ``REPORTERS`` maps the
CLI's ``--format`` names to them.
"""

from __future__ import annotations

from collections.abc import Callable

from . import classroom, gradescope, json_report, junit, text

REPORTERS: dict[str, Callable[[dict], str]] = {
    "text": text.render,
    "json": json_report.render,
    "gradescope": gradescope.render,
    "junit": junit.render,
    "classroom": classroom.render,
}
