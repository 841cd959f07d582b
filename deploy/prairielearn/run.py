"""Grade ``/grade/student`` and write ``/grade/results/results.json``, whatever happens.

Called by ``run.sh`` (PrairieLearn's entrypoint, as root inside the grading
container) as ``python -m deploy.prairielearn run --root /grade [--assignment NAME]``.
First the course's files (the grader, its secret, the question's data) are
made unreadable to the sandbox's unprivileged uid; then ``deploy.intake``
grades the upload and the result becomes PrairieLearn's results.json.
An upload with nothing to grade is "not gradable" (no attempt used, no
points); a grader failure too, with the reason in the job log.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from autograder.reporters import prairielearn as reporter
from deploy.intake import INTERNAL_ERROR, grade_upload, write_atomically

DEFAULT_TIMEOUT = 100.0  # under the question's 120 s, to leave time to write results.json
PRIVATE = ("serverFilesCourse", "tests", "data")  # what the student's code must not read


def lock(root: Path) -> None:
    """Make the course's files readable by their owner (root) only."""
    for name in PRIVATE:
        top = root / name
        if not top.exists() or top.is_symlink():
            continue
        for path in [top, *top.rglob("*")]:
            if not path.is_symlink():
                mode = path.stat().st_mode & 0o777
                os.chmod(path, mode & 0o700)


def grade(root: Path, *, timeout: float, assignment: str | None, source: Path) -> dict:
    started = time.monotonic()
    destination = root / "results" / "results.json"
    destination.unlink(missing_ok=True)
    if os.geteuid() == 0:
        lock(root)
    graded = grade_upload(root / "student", source=source, timeout=timeout, assignment=assignment)
    print(graded.log)
    if graded.result is None:
        results = reporter.not_gradable(graded.message or INTERNAL_ERROR)
    else:
        print(f"isolation: {graded.result.isolation}")
        results = reporter.results(graded.result)
        results["message"] = f"Graded: {graded.located.description}. {results['message']}" if graded.located else \
            results["message"]
    results["execution_time"] = round(time.monotonic() - started, 2)
    write_atomically(results, destination)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.prairielearn run", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(os.environ.get("PL_GRADE_ROOT", "/grade")))
    parser.add_argument("--assignment", help="grade one assignment of the rubric (value_engine, neural_net)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    args = parser.parse_args(argv)
    source = Path(__file__).resolve().parents[2]  # the grader's packages (cwd of `python -m`)
    try:
        results = grade(args.root, timeout=args.timeout, assignment=args.assignment, source=source)
    except Exception as error:  # noqa: BLE001 - results.json must be written whatever went wrong
        print(f"the PrairieLearn driver failed: {error!r}")
        results = reporter.not_gradable(INTERNAL_ERROR)
        write_atomically(results, args.root / "results" / "results.json")
    print(f"score {results.get('score')}; results written to {args.root / 'results' / 'results.json'}")
    return 0
