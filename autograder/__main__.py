"""Command line: ``python -m autograder grade PATH``, ``grade-batch DIR --out OUTDIR``, ``nbgrader-autograde A``,
``export SOURCE --format canvas|moodle --output FILE``, ``similarity DIR --output PAGE``.

Exit status 0 whenever grading completed, whatever the score; 2 when PATH is
unusable; 1 when the grader itself failed (docs/interface.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# jsonschema, which nbformat and nbgrader import, builds 38 lark parsers for its optional "iri" format
# check when rfc3987-syntax is installed (Jupyter's packages pull it in): 1.3 s of CPU in every command
# that reads a notebook or the gradebook.  Neither nbformat nor nbgrader checks formats, so the kit's
# commands do without it (``import rfc3987_syntax`` then fails, as if it were not installed).
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description="Grade micrograd submissions.")
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("grade", help="grade one submission")
    one.add_argument("path", type=Path,
                     help="a folder with micrograd_skeleton/ or engine.py/nn.py/train.py, notebooks, or an archive")
    one.add_argument("--format", default="text", choices=sorted(_reporters()), help="report format (default text)")
    one.add_argument("--output", type=Path, help="write the report here instead of standard output")
    one.add_argument("--assignment", help="grade one assignment of the rubric only (value_engine, neural_net)")
    many = commands.add_parser("grade-batch", help="grade every subfolder of DIR")
    many.add_argument("dir", type=Path)
    many.add_argument("--out", type=Path, required=True, help="where results, feedback and the gradebook go")
    many.add_argument("--jobs", type=int, default=None, help="parallel graders (default: the number of cores)")
    many.add_argument("--force", action="store_true", help="grade again what is already graded")
    many.add_argument("--assignment", help="grade one assignment of the rubric only (value_engine, neural_net); "
                      "default: the one every submission is a notebook of, else all (all: every part)")
    many.add_argument("--roster", type=Path, help="CSV with id,first_name,last_name,email[,...]: names each student "
                      "(id = their folder's name) in the reports, and lists who handed in nothing")
    many.add_argument("--late", type=Path, metavar="POLICY", help="late.toml: the deadline, extensions and penalty "
                      "rule (docs/lms.md); needs --times")
    many.add_argument("--times", type=Path, metavar="CSV", help="id,submitted (ISO 8601 with a time zone): when "
                      "each student handed in, from the LMS (never from the submission's own files)")
    many.add_argument("--overrides", type=Path, metavar="CSV", help="student,part,points,reason,by,when: points "
                      "set by hand (a part, or total), kept across re-grades and shown with their reason")
    many.add_argument("--public-code", type=Path, metavar="DIR", help="public sources (.py files, e.g. "
                      "karpathy/micrograd's engine.py) the class report's similar code compares each submission "
                      "with, beside the kit's reference (docs/similarity.md)")
    many.add_argument("--no-similarity", action="store_true", help="no similar-code section in the class report")
    many.add_argument("--scheduler", metavar="ADDRESS",
                      help="grade on a Dask cluster (tcp://host:8786), or on local:N, a local cluster of N workers")
    show = commands.add_parser("rubric", help="the parts, their points and each assignment's total")
    show.add_argument("--assignment", help="one assignment's parts only")
    fast = commands.add_parser("nbgrader-autograde",
                               help="nbgrader autograde at the kit's speed: into the gradebook, no kernels")
    fast.add_argument("assignment")
    fast.add_argument("--course", type=Path, default=Path("assignments"), help="the course (default assignments)")
    fast.add_argument("--student", action="append", help="only this student (repeatable)")
    fast.add_argument("--jobs", type=int, default=None, help="parallel graders (default: the number of cores)")
    alike = commands.add_parser("similarity", help="pairs of submissions with similar code, for review: a page "
                                "with each pair side by side (docs/similarity.md)")
    alike.add_argument("dir", type=Path, help="a folder of submissions, one subfolder each (as grade-batch reads)")
    alike.add_argument("--public-code", type=Path, metavar="DIR", help="public sources (.py files) to compare with, "
                       "beside the kit's reference")
    alike.add_argument("--threshold", type=float, default=None, help="the share of one side's own code found in "
                       "the other that lists a pair (default 0.8)")
    alike.add_argument("--output", type=Path, required=True, help="the page to write (HTML)")
    lms = commands.add_parser("export", help="grades an LMS imports (Canvas, Moodle): a row per student of the roster")
    lms.add_argument("source", type=Path, help="a grade-batch output folder, or the nbgrader course (its gradebook.db)")
    lms.add_argument("--format", required=True, choices=["canvas", "moodle"])
    lms.add_argument("--output", type=Path, required=True, help="the CSV to write")
    lms.add_argument("--roster", type=Path, help="CSV with id,first_name,last_name,email[,lms_user_id,sis_user_id,"
                     "sis_login_id,section] (default: SOURCE/roster.csv, where `make roster` puts the course's)")
    lms.add_argument("--parts", action="store_true", help="a column per part after each assignment's total")
    lms.add_argument("--assignment", help="a batch's assignment of the rubric (value_engine, neural_net); "
                     "default: the whole rubric")
    lms.add_argument("--name", help="the batch's column title in the LMS (Canvas: `Title (assignment id)` "
                     "matches an existing assignment); default: the assignment's name, or micrograd")
    args = parser.parse_args(argv)
    if args.command == "export":
        return _export(args)
    if args.command == "similarity":
        return _similarity(args)
    if args.command == "nbgrader-autograde":
        from .course.autograde import autograde

        return autograde(args.course, args.assignment, args.student, args.jobs)
    whole = getattr(args, "assignment", None) == "all"
    try:
        rubric = _rubric(None if whole else args.assignment)
    except ValueError as error:
        print(f"autograder: {error}", file=sys.stderr)
        return 2
    if args.command == "grade":
        return _grade(args, rubric)
    if args.command == "rubric":
        return _show_rubric(rubric)
    from .batch import grade_batch
    from .intake.roster import RosterError, read_roster
    from .late import PolicyError, load_policy, read_times
    from .overrides import OverrideError, read_overrides

    try:
        roster = read_roster(args.roster) if args.roster else None
        late = None
        if args.late or args.times:
            if not (args.late and args.times):
                raise PolicyError("--late and --times go together: the policy, and when each student handed in")
            late = (load_policy(args.late), read_times(args.times))
            if late[0].deadline is None:
                raise PolicyError(f"{args.late}: grade-batch needs a deadline")
        overrides = read_overrides(args.overrides, rubric) if args.overrides else None
    except (RosterError, PolicyError, OverrideError) as error:
        print(f"autograder: {error}", file=sys.stderr)
        return 2
    if args.public_code is not None and not args.public_code.is_dir():
        print(f"autograder: --public-code {args.public_code} is not a folder", file=sys.stderr)
        return 2
    return grade_batch(args.dir, args.out, jobs=args.jobs, force=args.force, rubric=rubric,
                       scheduler=args.scheduler, whole=whole, roster=roster, late=late, overrides=overrides,
                       similar=not args.no_similarity, public_code=args.public_code)


def _similarity(args) -> int:
    """``similarity``: the class report's similar-code section as a page of its own."""
    from .batch import submission_folders
    from .batch.store import loaded
    from .reporters.class_report import similarity_page
    from .similarity import THRESHOLD, similarity

    for folder, what in ((args.dir, "DIR"), (args.public_code, "--public-code")):
        if folder is not None and not folder.is_dir():
            print(f"autograder: {what} {folder} is not a folder", file=sys.stderr)
            return 2
    threshold = THRESHOLD if args.threshold is None else args.threshold
    if not 0 < threshold <= 1:
        print("autograder: --threshold is a share of the code, above 0 and at most 1", file=sys.stderr)
        return 2
    read = {p.name: loaded(p) for p in submission_folders(args.dir)}
    found = similarity(read, args.public_code, threshold)
    if isinstance(found, str):
        print(f"autograder: {found}", file=sys.stderr)
        return 2
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(similarity_page(found))
    print(f"{args.output}: {len(found.pairs)} pair(s) to review among {found.compared} submission(s)",
          file=sys.stderr)
    return 0


def _export(args) -> int:
    """``export``: a batch's results or nbgrader's gradebook as the LMS's import CSV."""
    from micrograd_feedback.untrusted import shown

    from .intake.roster import RosterError, read_roster
    from .reporters import lms

    roster_path = args.roster or args.source / "roster.csv"
    try:
        roster = read_roster(roster_path)
        rubric = _rubric(args.assignment)
    except (RosterError, ValueError) as error:
        print(f"autograder: {error}", file=sys.stderr)
        return 2
    if (args.source / "gradebook.db").is_file():
        assignments = lms.from_gradebook(args.source, rubric, roster)
    elif args.source.is_dir():
        assignments = [lms.from_batch(args.source, rubric, roster, args.name or args.assignment or "micrograd")]
    else:
        print(f"autograder: {args.source} is neither a grade-batch output folder nor an nbgrader course",
              file=sys.stderr)
        return 2
    args.output.write_text(lms.FORMATS[args.format](assignments, roster, args.parts), newline="")
    graded = {sid for a in assignments for sid in a.grades}
    print(f"{args.output}: {len(roster)} students, {len(graded)} with a grade, {len(roster) - len(graded)} without",
          file=sys.stderr)
    for a in assignments:
        for name in a.unknown:
            print(f"  not in the roster, so not in the file: {shown(name)} ({a.name})", file=sys.stderr)
    return 0


def _rubric(assignment: str | None):
    from .rubric import load_rubric

    rubric = load_rubric()
    return rubric.for_assignment(assignment) if assignment else rubric


def _show_rubric(rubric) -> int:
    """The rubric as an instructor reads it: every part, and the totals the reports will show."""
    from rich.console import Console
    from rich.table import Table

    from .rubric import load_rubric

    table = Table(title=f"rubric: {rubric.assignment or 'every part'}, {rubric.total:g} points", title_justify="left")
    for column in ("part", "title", "module", "points", "credit", "visibility"):
        table.add_column(column, justify="right" if column == "points" else "left")
    for part in rubric.parts.values():
        table.add_row(part.id, part.title, part.module, f"{part.points:g}", part.credit, part.visibility)
    console = Console(width=120, highlight=False)
    console.print(table)
    whole = load_rubric()
    for name in whole.assignments:
        console.print(f"assignment {name}: {whole.for_assignment(name).total:g} points", markup=False)
    return 0


def _reporters():
    from .reporters import REPORTERS

    return REPORTERS


def _grade(args: argparse.Namespace, rubric) -> int:
    from .oracles import remote

    remote.start()  # a cold grade: torch is imported on the other core meanwhile (oracles/remote.py)
    try:
        return _grade_and_report(args, rubric)
    finally:
        remote.stop()


def _grade_and_report(args: argparse.Namespace, rubric) -> int:
    from .grading.grade import grade_result
    from .intake.submission import UnusableSubmission

    try:
        # PATH is the caller's choice: a link there is followed (links inside it are not).
        result = grade_result(args.path.resolve() if args.path.is_symlink() else args.path, rubric=rubric)
    except UnusableSubmission as error:
        print(f"autograder: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 - the grader's own failure: say so, exit 1
        print(f"autograder: internal error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    if args.format == "text" and args.output is None and sys.stdout.isatty():
        from .reporters.text import render

        report = render(result, color=True)
    else:
        report = _reporters()[args.format](result)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report)
    else:
        sys.stdout.write(report)
    return 0


def run() -> int:
    """``main`` with Ctrl-C as a sentence, not a traceback (a batch says how to resume itself)."""
    try:
        return main()
    except KeyboardInterrupt:
        print("\nautograder: interrupted; nothing half-written is kept, and the same command starts again",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(run())
