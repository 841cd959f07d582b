"""Grade ``ROOT/submission`` and write ``ROOT/results/results.json``, whatever happens.

Called by ``run_autograder`` (as root, inside Gradescope's container) as
``python -m deploy.gradescope run --root /autograder [--assignment NAME]``.
The upload is staged, located and graded by ``deploy.intake``; this module
turns the result into Gradescope's results.json, checks it against
Gradescope's format and writes it atomically.  If anything failed, it writes a
valid results.json that says so instead.  The log (stdout, which only
instructors see) and ``extra_data`` name the isolation level the grader used.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from autograder.reporters import gradescope as reporter
from deploy.gradescope.build import ASSIGNMENT_FILE
from deploy.gradescope.results import failure_results, problems
from deploy.intake import INTERNAL_ERROR, Graded, grade_upload, rubric_total, write_atomically
from micrograd_feedback.untrusted import markdown_text

# Gradescope's default per-submission limit is 10 minutes; finish well before
# it so there is time left to write results.json.
DEFAULT_TIMEOUT = 480.0


def results_for(graded: Graded, started: float, assignment: str | None) -> dict[str, Any]:
    """Gradescope's results.json for one graded upload (a failure result if it was not graded)."""
    elapsed = time.monotonic() - started
    if graded.result is None or graded.located is None:
        return failure_results(graded.message or INTERNAL_ERROR, execution_time=elapsed,
                               max_score=rubric_total(assignment))
    results = json.loads(reporter.render(graded.result))
    results["execution_time"] = round(elapsed, 3)
    found = f"Graded: {markdown_text(graded.located.description)}."  # output_format "md": names made inert
    results["output"] = f"{found}\n\n{results['output']}" if results.get("output") else found
    # For instructors (Gradescope shows extra_data in its API and exports, not to students).
    results["extra_data"] = {"isolation": graded.result.isolation, "assignment": assignment or "all"}
    errors = problems(results)
    if errors:
        print("the grader's results.json is not valid for Gradescope:\n  " + "\n  ".join(errors))
        return failure_results(INTERNAL_ERROR, execution_time=elapsed, max_score=rubric_total(assignment))
    return results


def grade_submission(root: Path, *, timeout: float = DEFAULT_TIMEOUT, assignment: str | None = None) -> dict[str, Any]:
    """Grade ``root/submission`` into ``root/results/results.json``; return what was written."""
    started = time.monotonic()
    destination = root / "results" / "results.json"
    # A stale results.json must never be uploaded in place of this run's.
    destination.unlink(missing_ok=True)
    graded = grade_upload(root / "submission", source=root / "source", timeout=timeout, assignment=assignment)
    print(graded.log)
    if graded.result is not None:
        print(f"isolation: {graded.result.isolation}")
    results = results_for(graded, started, assignment)
    write_atomically(results, destination)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.gradescope run", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(os.environ.get("AUTOGRADER_ROOT", "/autograder")))
    parser.add_argument("--timeout", type=float, default=float(os.environ.get("GRADE_TIMEOUT", DEFAULT_TIMEOUT)))
    parser.add_argument("--assignment", default=None,
                        help="grade one assignment of the rubric (default: the zip's assignment.txt, if any)")
    args = parser.parse_args(argv)
    if args.assignment is None and (args.root / "source" / ASSIGNMENT_FILE).is_file():
        args.assignment = (args.root / "source" / ASSIGNMENT_FILE).read_text().strip() or None
    started = time.monotonic()
    try:
        results = grade_submission(args.root, timeout=args.timeout, assignment=args.assignment)
    except Exception as error:  # noqa: BLE001 - results.json must be written whatever went wrong
        print(f"the Gradescope driver failed: {error!r}")
        results = failure_results(INTERNAL_ERROR, execution_time=time.monotonic() - started)
        write_atomically(results, args.root / "results" / "results.json")
    print(f"score {results.get('score')}; results written to {args.root / 'results' / 'results.json'}")
    return 0
