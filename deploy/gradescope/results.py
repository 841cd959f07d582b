"""Gradescope's results.json: what the harness accepts, and a result for when grading fails.

The field names and allowed values follow Gradescope's autograder
specification (gradescope-autograders.readthedocs.io, "Autograder
Specifications"). ``problems`` is used by ``run`` to refuse to upload a
malformed file: Gradescope shows a malformed results.json as an opaque
"autograder failed" to the student, so a readable fallback is better.
"""

from __future__ import annotations

import json
import math
from typing import Any

from deploy.intake import DEFAULT_MAX_SCORE  # used only when grading failed before the total was known

VISIBILITIES = frozenset({"hidden", "after_due_date", "after_published", "visible"})
OUTPUT_FORMATS = frozenset({"text", "html", "simple_format", "md", "ansi"})
STATUSES = frozenset({"passed", "failed"})

TOP_LEVEL_KEYS = frozenset({
    "score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
    "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard",
})
TEST_KEYS = frozenset({
    "score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
    "tags", "visibility", "extra_data",
})



def _is_number(value: Any) -> bool:
    # bool is an int subclass, but Gradescope wants a real number.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def problems(results: Any) -> list[str]:
    """Every way ``results`` departs from Gradescope's results.json format (empty: valid)."""
    if not isinstance(results, dict):
        return ["results.json must be a JSON object"]
    found = [f"unknown top-level key {key!r}" for key in results if key not in TOP_LEVEL_KEYS]
    for key in ("score", "execution_time"):
        if key in results and not _is_number(results[key]):
            found.append(f"{key} must be a finite number")
    for key in ("visibility", "stdout_visibility"):
        if key in results and results[key] not in VISIBILITIES:
            found.append(f"{key} must be one of {sorted(VISIBILITIES)}")
    for key in ("output_format", "test_output_format", "test_name_format"):
        if key in results and results[key] not in OUTPUT_FORMATS:
            found.append(f"{key} must be one of {sorted(OUTPUT_FORMATS)}")
    if "output" in results and not isinstance(results["output"], str):
        found.append("output must be a string")
    tests = results.get("tests")
    if tests is None:
        if "score" not in results:
            found.append("either a top-level score or tests with scores is required")
        return found
    if not isinstance(tests, list):
        return [*found, "tests must be a list"]
    for index, test in enumerate(tests):
        where = f"tests[{index}]"
        if not isinstance(test, dict):
            found.append(f"{where} must be an object")
            continue
        found += [f"{where}: unknown key {key!r}" for key in test if key not in TEST_KEYS]
        if "score" not in test and "score" not in results:
            found.append(f"{where}: score is required when there is no top-level score")
        for key in ("score", "max_score"):
            if key in test and not _is_number(test[key]):
                found.append(f"{where}: {key} must be a finite number")
        for key in ("name", "output", "number"):
            if key in test and not isinstance(test[key], str):
                found.append(f"{where}: {key} must be a string")
        if "visibility" in test and test["visibility"] not in VISIBILITIES:
            found.append(f"{where}: visibility must be one of {sorted(VISIBILITIES)}")
        for key in ("output_format", "name_format"):
            if key in test and test[key] not in OUTPUT_FORMATS:
                found.append(f"{where}: {key} must be one of {sorted(OUTPUT_FORMATS)}")
        if "status" in test and test["status"] not in STATUSES:
            found.append(f"{where}: status must be one of {sorted(STATUSES)}")
        if "tags" in test and not (isinstance(test["tags"], list) and all(isinstance(t, str) for t in test["tags"])):
            found.append(f"{where}: tags must be a list of strings")
    try:
        json.dumps(results, allow_nan=False)
    except (TypeError, ValueError) as error:
        found.append(f"not serialisable as strict JSON: {error}")
    return found


def failure_results(message: str, *, execution_time: float, max_score: float = DEFAULT_MAX_SCORE) -> dict[str, Any]:
    """A valid results.json for a submission that could not be graded at all.

    The score is 0 out of the usual total, so the gradebook shows the problem
    instead of a silently missing grade; ``message`` tells the student why.
    """
    return {
        "score": 0.0,
        "execution_time": round(execution_time, 3),
        "output": message,
        "output_format": "text",
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": "Autograder",
                "score": 0.0,
                "max_score": float(max_score),
                "status": "failed",
                "output": message,
                "output_format": "text",
                "visibility": "visible",
            }
        ],
    }
