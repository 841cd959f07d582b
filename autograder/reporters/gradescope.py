"""Gradescope's results.json: one test per rubric part, with the diagnosis as output.

Spec: score, execution_time, output, stdout_visibility, tests[] with name,
score, max_score, output, output_format, visibility.
"""

from __future__ import annotations

import json

from ..rubric import load_rubric


def render(result: dict) -> str:
    rubric = load_rubric()
    tests = []
    for part_id, part in result["parts"].items():
        checks = [t for t in result["tests"] if t["part"] == part_id]
        failed = [t for t in checks if t["status"] != "passed"]
        lines = [f"{len(checks) - len(failed)} of {len(checks)} checks passed."]
        for t in failed[:3]:
            lines += ["", f"**{t['name']}** ({t['status']})", "```", t["message"], "```"]
        if len(failed) > 3:
            lines.append(f"\n... and {len(failed) - 3} more failed check(s).")
        visibility = rubric.parts[part_id].visibility if part_id in rubric.parts else "visible"
        tests.append({
            "name": part.get("title", part_id),
            "score": part["score"],
            "max_score": part["max_score"],
            "output": "\n".join(lines),
            "output_format": "md",
            "visibility": visibility,
        })
    problems = "\n".join(f"- {p}" for p in result.get("problems", {}).values())
    results = {
        "score": result["score"],
        "execution_time": result.get("execution_time", 0),
        "output": problems or "Graded by the micrograd autograder.",
        "output_format": "md",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    return json.dumps(results, indent=2) + "\n"
