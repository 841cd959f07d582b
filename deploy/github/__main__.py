"""``python -m deploy.github``: the student template, the course's grading workflow, the grade of record.

    template --out DIR [--ci-grade [--sha256 HEX]]   the student template repository (public checks only)
    course-workflow --out DIR --deadline ISO          the course repository's grade-of-record workflow
    grade-of-record --roster CSV --deadline ISO --out DIR
                                                      clone, grade and publish (run by that workflow)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.github", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    template = commands.add_parser("template", help="write the student template repository")
    template.add_argument("--out", type=Path, default=Path("build/github-template"))
    template.add_argument("--ci-grade", action="store_true",
                          help="also grade in the students' repositories (opt-in: a student who edits the workflow "
                               "can read the grader; the grade of record stays the course's)")
    template.add_argument("--sha256", help="with --ci-grade: the grader bundle's sha256 (default: build it now)")
    template.add_argument("--assignment", help="grade one assignment of the rubric only")
    template.add_argument("--torch-index", default="https://download.pytorch.org/whl/cpu")
    course = commands.add_parser("course-workflow", help="the course repository's grade-of-record workflow")
    course.add_argument("--out", type=Path, default=Path("build/github-grader"))
    course.add_argument("--deadline", required=True, help="ISO 8601, e.g. 2026-12-18T23:59:00Z")
    course.add_argument("--roster", default="roster.csv", help="the roster's path in the course repository")
    course.add_argument("--assignment")
    record = commands.add_parser("grade-of-record", help="clone at the deadline, grade, publish")
    record.add_argument("--roster", type=Path, required=True, help="CSV with the columns student,repository")
    record.add_argument("--deadline", required=True)
    record.add_argument("--out", type=Path, required=True)
    record.add_argument("--assignment")
    record.add_argument("--jobs", type=int)
    record.add_argument("--clone-url", default="https://github.com/{repository}.git")
    record.add_argument("--api", default=os.environ.get("GITHUB_API_URL", "https://api.github.com"))
    record.add_argument("--no-publish", action="store_true", help="grade only; post nothing")
    record.add_argument("--target-url", default="", help="where a commit status links (the workflow run)")
    args = parser.parse_args(argv)

    if args.command == "template":
        return _template(args)
    from deploy.github import grade_of_record as gor

    if args.command == "course-workflow":
        folder = args.out / ".github" / "workflows"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "micrograd-grade.yml").write_text(
            gor.course_workflow(gor.parse_deadline(args.deadline), args.roster, assignment=args.assignment))
        example = args.out / "roster.example.csv"
        example.write_text("student,repository\nada,ORG/micrograd-ada\ngrace,ORG/micrograd-grace\n")
        print(f"wrote {folder / 'micrograd-grade.yml'} and {example}: commit them to the COURSE's private "
              "repository (docs/classroom.md)")
        return 0
    token = os.environ.get("MICROGRAD_COURSE_TOKEN", "")
    if not token and not args.no_publish:
        print("grade-of-record: set MICROGRAD_COURSE_TOKEN (or pass --no-publish)", file=sys.stderr)
        return 2
    api = None if args.no_publish else gor.GitHubAPI(token, args.api)
    return gor.run(args.roster, gor.parse_deadline(args.deadline), args.out, token=token, api=api,
                   clone_url=args.clone_url, jobs=args.jobs, assignment=args.assignment, target_url=args.target_url)


def _template(args: argparse.Namespace) -> int:
    from deploy.github.template import write_template

    sha256 = args.sha256
    if args.ci_grade and not sha256:
        from deploy import bundle

        path, sha256 = bundle.build(args.out.parent / "private")
        print(f"built {path} (sha256 {sha256}): upload it as a release asset of a PRIVATE repository")
    out = write_template(args.out, sha256, ci_grade=args.ci_grade, assignment=args.assignment,
                         torch_index=args.torch_index)
    print(f"wrote the student template to {out}: push it as a template repository (docs/classroom.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
