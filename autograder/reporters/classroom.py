"""GitHub Classroom: the result as the autograding reporter reads it.

``classroom-resources/autograding-grading-reporter`` takes, for each runner
step, a base64-encoded JSON document and adds up ``tests[].score`` against the
document's ``max_score``; it prints each test's ``name``, a tick when its
``status`` is ``"pass"``, and its ``message`` otherwise. So that Classroom
shows the rubric's weighted points (not an equal share per test), there is one
test per rubric part, scored with that part's points.

A part whose rubric visibility is not ``visible`` (e.g. ``after_due_date``)
still counts, but its diagnosis is withheld: the workflow's log is public to
the student and Classroom has no notion of a due date.
"""

from __future__ import annotations

import json
from typing import Any

MESSAGE_LIMIT = 1_500
WITHHELD = "Details of this part are withheld until grades are released; its points are counted."


def _visibilities() -> dict[str, str]:
    """Each part's visibility from the rubric (empty if the rubric cannot be read)."""
    try:
        from autograder.rubric import load_rubric

        return {part_id: part.visibility for part_id, part in load_rubric().parts.items()}
    except Exception:  # noqa: BLE001 - a report without visibilities is better than none
        return {}


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _first_problem(tests: list[dict[str, Any]], part_id: str) -> str:
    for test in tests:
        if test.get("part") == part_id and test.get("status") != "passed":
            message = str(test.get("message") or test.get("status") or "failed")
            name = str(test.get("name", ""))
            text = f"{name}: {message}" if name else message
            return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"
    return ""


def report(result: dict[str, Any], visibilities: dict[str, str] | None = None) -> dict[str, Any]:
    """The reporter's document for a contract result (CONTRACT.md section 3)."""
    visibilities = _visibilities() if visibilities is None else visibilities
    tests = [t for t in result.get("tests", []) if isinstance(t, dict)]
    entries = []
    for part_id, part in result.get("parts", {}).items():
        score, max_score = _number(part.get("score")), _number(part.get("max_score"))
        full = score >= max_score
        visibility = part.get("visibility") or visibilities.get(part_id, "visible")
        title = part.get("title") or part_id
        if full:
            message = ""
        elif visibility != "visible":
            message = WITHHELD
        else:
            message = _first_problem(tests, part_id) or f"{score:g} of {max_score:g} points"
        entries.append({
            "name": f"{part_id}: {title} ({score:g}/{max_score:g})",
            "status": "pass" if full else "fail",
            "score": score,
            "message": message,
            "test_code": "",
            "filename": "",
            "line_no": 0,
            "execution_time": "",
        })
    parts = result.get("parts", {}).values()
    max_score = _number(result.get("max_score")) or sum(_number(p.get("max_score")) for p in parts)
    total = sum(_number(e["score"]) for e in entries)
    return {
        "version": 1,
        "status": "pass" if entries and total >= max_score else "fail",
        "max_score": max_score,
        "tests": entries,
    }


def render(result: dict[str, Any]) -> str:
    """The reporter's JSON text (the workflow base64-encodes it into the step's ``result`` output)."""
    return json.dumps(report(result), indent=2) + "\n"
