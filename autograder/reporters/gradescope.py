"""Gradescope's results.json: one test per rubric part, with the diagnosis as output.

Spec: score, execution_time, output, stdout_visibility, tests[] with name,
score, max_score, output, output_format, visibility.
"""

from __future__ import annotations

import json

from micrograd_feedback.result import SubmissionResult, wrapped
from micrograd_feedback.untrusted import markdown_block, markdown_text


def render(result: SubmissionResult) -> str:
    tests = []
    for part in result.parts.values():
        checks = result.checks_of(part.id)
        failed = result.failed(part.id)
        lines = [f"{len(checks) - len(failed)} of {len(checks)} checks passed."]
        for check in failed[:3]:  # the message says what ran, in the student's terms; no check ids
            lines += ["", markdown_block(wrapped(check.message, 100), info="")]
        if len(failed) > 3:
            lines.append(f"\n... and {len(failed) - 3} more failed check(s).")
        tests.append({
            "name": part.title,
            "score": part.score,
            "max_score": part.max_score,
            "output": "\n".join(lines),
            "output_format": "md",
            "visibility": part.visibility,
        })
    problems = "\n".join(f"- {markdown_text(p)}" for p in result.problems.values())
    results = {
        "score": result.score,
        "execution_time": result.execution_time,
        "output": problems or "Graded by the micrograd autograder.",
        "output_format": "md",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    return json.dumps(results, indent=2) + "\n"
