"""Grade a student's checkout on a CI machine and write every report a CI needs.

    python -I -m deploy.ci grade CHECKOUT --out DIR [--assignment NAME] [--classroom50]

Run by ``deploy/runner.py`` from the verified grader's own environment.  Writes
into DIR:

    result.json      the contract's JSON
    junit.xml        for test-report actions
    summary.md       the per-part table with the diagnoses (for $GITHUB_STEP_SUMMARY)
    status.json      {"state", "description"} for the commit status
    provenance.json  what graded it: the bundle's sha256, the isolation level, and the
                     sha256 of the checkout's workflow files (an edited workflow shows)
    classroom50/     (with --classroom50) result.json in Classroom 50's schema, release-body.md

The exit status is 0 whenever a result was written, whatever the score.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import os
import sys
from pathlib import Path

from autograder.reporters import junit, markdown
from deploy import classroom50
from deploy.intake import INTERNAL_ERROR, grade_upload, write_atomically
from micrograd_feedback.result import SubmissionResult
from micrograd_feedback.untrusted import markdown_text, shown

TIMEOUT = 600.0
SOURCE = Path(__file__).resolve().parents[1]


def workflow_digest(checkout: Path) -> str:
    """sha256 over the checkout's workflow files (names and bytes), to compare with the template's."""
    digest = hashlib.sha256()
    folder = checkout / ".github" / "workflows"
    if folder.is_dir() and not folder.is_symlink():
        for path in sorted(folder.iterdir()):
            if path.is_file() and not path.is_symlink():
                digest.update(path.name.encode() + b"\0" + path.read_bytes()[: 1 << 20] + b"\0")
    return digest.hexdigest()


def status_of(result: SubmissionResult | None, message: str) -> dict[str, str]:
    if result is None:
        return {"state": "error", "description": shown(f"micrograd: not graded: {message}", 140)}
    state = "success" if result.score >= result.max_score else "failure"
    return {"state": state, "description": f"micrograd: {result.score:g}/{result.max_score:g} points"}


def write_reports(out: Path, result: SubmissionResult | None, message: str, provenance: dict,
                  with_classroom50: bool) -> None:
    out.mkdir(parents=True, exist_ok=True)
    if result is not None:
        write_atomically(result.to_json(), out / "result.json")
        (out / "junit.xml").write_text(junit.render(result))
        (out / "summary.md").write_text(markdown.render(result))
    else:
        (out / "summary.md").write_text(f"## micrograd: not graded\n\n{markdown_text(message, cap=5_000)}\n")
    write_atomically(status_of(result, message), out / "status.json")
    write_atomically(provenance, out / "provenance.json")
    if with_classroom50:
        folder = out / "classroom50"
        folder.mkdir(exist_ok=True)
        data = classroom50.result(result, dict(os.environ))
        write_atomically(data, folder / "result.json")
        (folder / "release-body.md").write_text(classroom50.release_body(result, message))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.ci", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade a checkout and write the CI reports")
    grade.add_argument("checkout", type=Path)
    grade.add_argument("--out", type=Path, required=True)
    grade.add_argument("--assignment")
    grade.add_argument("--classroom50", action="store_true")
    grade.add_argument("--bundle-sha256", default="")
    args = parser.parse_args(argv)
    graded = grade_upload(args.checkout, source=SOURCE, timeout=TIMEOUT, assignment=args.assignment)
    print(graded.log, file=sys.stderr)
    provenance = {
        "bundle_sha256": args.bundle_sha256,
        "workflow_sha256": workflow_digest(args.checkout),
        "isolation": graded.result.isolation if graded.result else "",
        "assignment": args.assignment or "all",
        "commit": os.environ.get("GITHUB_SHA", ""),
        "graded_at": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    write_reports(args.out, graded.result, graded.message or INTERNAL_ERROR, provenance, args.classroom50)
    if graded.result is not None:
        print(f"micrograd: {graded.result.score:g}/{graded.result.max_score:g}; isolation: "
              f"{graded.result.isolation}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
