"""PrairieLearn's external-grader results.json: ``score`` in [0, 1], one test per rubric part.

Spec (docs/externalGrading.md in PrairieLearn): ``gradable``, ``score``,
``message``, ``output``, and ``tests[]`` with ``name``, ``description``,
``points``, ``max_points``, ``message``, ``output``.  The file must stay under
1 MB: messages are already capped by the result model.
"""

from __future__ import annotations

import json

from micrograd_feedback.result import SubmissionResult, wrapped

from .markdown import WITHHELD


def results(result: SubmissionResult) -> dict:
    tests = []
    for part in result.parts.values():
        checks, failed = result.checks_of(part.id), result.failed(part.id)
        shown = part.visibility == "visible"
        output = "\n\n".join(wrapped(c.message, 100) for c in failed[:3]) if shown else ""
        tests.append({
            "name": part.title,
            "description": f"part {part.id}: {len(checks) - len(failed)} of {len(checks)} checks passed",
            "points": part.score,
            "max_points": part.max_score,
            "message": "" if not failed else (failed[0].message.splitlines()[-1] if shown else WITHHELD),
            "output": output + (f"\n\n... and {len(failed) - 3} more" if shown and len(failed) > 3 else ""),
        })
    problems = "\n".join(result.problems.values())
    return {
        "gradable": True,
        "score": round(result.score / result.max_score, 6) if result.max_score else 0.0,
        "message": f"{result.score:g} / {result.max_score:g} points" + (f"\n{problems}" if problems else ""),
        "output": f"isolation: {result.isolation}" if result.isolation else "",
        "tests": tests,
    }


def render(result: SubmissionResult) -> str:
    return json.dumps(results(result), indent=2) + "\n"


def not_gradable(message: str) -> dict:
    """For an upload with nothing to grade: PrairieLearn then takes no attempt and awards nothing."""
    return {"gradable": False, "format_errors": [message], "message": message, "tests": []}
