"""Classroom 50 (foundation50/classroom50): its ``result.json`` for a graded submission.

Schema ``classroom50/result/v1`` as its runner and score collector validate
it: the identity (classroom, assignment, owner, submission tag), links
(commit, release, review), ``datetime``, integer ``score`` and ``max-score``,
and ``tests`` with ``test-name``, ``passed``, integer ``score`` and
``max-score``.  Scores must be integers, so points are written in hundredths
(92.86 points out of 100 is 9286 of 10000): exactly the grader's per-part
scores, no rounding.  The runner stamps ``owner`` and ``assignment_type`` too;
they are written here so the file is valid on its own.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from micrograd_feedback.result import SubmissionResult

SCHEMA = "classroom50/result/v1"
SCALE = 100  # hundredths of a point


def scaled(points: float) -> int:
    return int(round(points * SCALE))


def tests(result: SubmissionResult) -> list[dict[str, Any]]:
    return [{"test-name": f"{part.id}: {part.title}", "passed": part.score >= part.max_score,
             "score": scaled(part.score), "max-score": scaled(part.max_score)} for part in result.parts.values()]


def result(graded: SubmissionResult | None, env: Mapping[str, str]) -> dict[str, Any]:
    """The v1 result for ``graded`` (None: not graded, 0 of 0, as the runner's own error results)."""
    commit = env.get("COMMIT_URL") or (f"{env.get('GITHUB_SERVER_URL', 'https://github.com')}/"
                                       f"{env.get('GITHUB_REPOSITORY', '')}/commit/{env.get('GITHUB_SHA', '')}")
    entries = tests(graded) if graded is not None else []
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "schema": SCHEMA,
        "classroom": env.get("CLASSROOM", ""),
        "assignment": env.get("ASSIGNMENT", ""),
        "assignment_type": "group" if env.get("MODE") == "group" else "individual",
        "owner": env.get("USERNAME") or env.get("GITHUB_ACTOR", ""),
        "submission": env.get("SUBMISSION_TAG", ""),
        "commit": commit,
        "release": env.get("RELEASE_URL", ""),
        "review": env.get("REVIEW_URL") or commit,
        "datetime": now,
        "score": sum(t["score"] for t in entries),
        "max-score": sum(t["max-score"] for t in entries),
        "tests": entries,
    }


def release_body(graded: SubmissionResult | None, message: str) -> str:
    """The submission release's text: the grader's Markdown report, scores in points."""
    from autograder.reporters import markdown

    if graded is None:
        from micrograd_feedback.untrusted import markdown_text

        return f"### micrograd: not graded\n\n{markdown_text(message, cap=5_000)}\n"
    note = f"Classroom 50 scores are in hundredths of a point ({SCALE} = 1 point)."
    return markdown.render(graded) + f"\n<sub>{note}</sub>\n"
