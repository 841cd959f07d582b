"""The course's release and a student's workspace, without ever overwriting someone's work.

``python tools/course.py release [--force]``
    ``nbgrader generate_assignment`` for every assignment into
    ``assignments/release/``.  nbgrader replaces a release folder whole, so a
    notebook someone edited there (or a file they added) would be lost: each
    release records what it generated (``.micrograd-release.json``: file ->
    sha256), and a folder that no longer matches it is refused, naming the
    files, unless ``--force``.
``python tools/course.py workspace DIR``
    Copy the release into DIR (a student's working copy: ``make student-lab``),
    adding only the files DIR lacks: an edited notebook is kept as it is.
``python tools/course.py collect DIR [--course COURSE]``
    Bring submissions handed in elsewhere (an LMS download, email) into
    ``COURSE/submitted/<student>/<assignment>/`` for ``nbgrader autograde``:
    DIR holds ``<student>/<assignment>.ipynb`` (or ``<student>/<assignment>/``).
    Each gets nbgrader's ``timestamp.txt`` (the file's modification time, UTC),
    so late penalties work; a submission already there is never overwritten.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "assignments"
RELEASE = COURSE / "release"
STAMP = ".micrograd-release.json"
sys.path.insert(0, str(ROOT))

from tools.generate_notebooks import ASSIGNMENTS  # noqa: E402


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_of(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): digest(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != STAMP and ".ipynb_checkpoints" not in p.parts}


def changed(folder: Path) -> list[str]:
    """Files of a release folder that are not as the release left them (edited, added, or no record)."""
    if not folder.exists():
        return []
    now = files_of(folder)
    try:
        recorded = json.loads((folder / STAMP).read_text())
    except (OSError, ValueError):
        return sorted(now) or []
    return sorted(name for name, sha in now.items() if recorded.get(name) != sha)


def release(force: bool = False) -> int:
    blocked = {a: changed(RELEASE / a) for a in ASSIGNMENTS}
    blocked = {a: names for a, names in blocked.items() if names}
    if blocked and not force:
        for assignment, names in blocked.items():
            listed = ", ".join(str(RELEASE / assignment / n) for n in names)
            print(f"release: not regenerating {assignment}: {listed} changed since the last release "
                  "(nbgrader would replace the folder and lose the changes). Move them away, or run "
                  "`make release FORCE=1` to discard them.", file=sys.stderr)
        return 1
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    for assignment in ASSIGNMENTS:
        done = subprocess.run(["nbgrader", "generate_assignment", assignment, "--create", "--force",
                               "--log-level=WARN"], cwd=COURSE, env=env)
        if done.returncode != 0:
            return done.returncode
        (RELEASE / assignment / STAMP).write_text(json.dumps(files_of(RELEASE / assignment), indent=1) + "\n")
    print(f"release: {RELEASE}/{{{','.join(ASSIGNMENTS)}}}")
    return 0


def workspace(destination: Path) -> int:
    """Copy the release into ``destination``, never replacing a file that is there."""
    if not all((RELEASE / a).is_dir() for a in ASSIGNMENTS):
        status = release()
        if status:
            return status
    added, kept = 0, []
    for assignment in ASSIGNMENTS:
        source = RELEASE / assignment
        for name in files_of(source):
            target = destination / assignment / name
            if target.exists():
                if digest(target) != digest(source / name):
                    kept.append(str(target))
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, target)
            added += 1
    print(f"workspace {destination}: {added} file(s) copied from the release"
          + (f"; kept your version of {', '.join(kept)}" if kept else ""))
    return 0


TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"  # nbgrader's default CourseDirectory.timestamp_format


def collect(source: Path, course: Path = COURSE) -> int:
    """Copy ``source/<student>/<assignment>(.ipynb|/)`` into ``course/submitted/``, with timestamp.txt."""
    from datetime import UTC, datetime

    added, kept = [], []
    for student in sorted(p for p in source.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for assignment in ASSIGNMENTS:
            notebook, folder = student / f"{assignment}.ipynb", student / assignment
            if not notebook.is_file() and not folder.is_dir():
                continue
            target = course / "submitted" / student.name / assignment
            if target.exists():
                kept.append(f"{student.name}/{assignment}")
                continue
            if folder.is_dir():
                shutil.copytree(folder, target, symlinks=False, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
                handed_in = max(p.stat().st_mtime for p in [folder, *folder.rglob("*")])
            else:
                target.mkdir(parents=True)
                shutil.copyfile(notebook, target / notebook.name)
                handed_in = notebook.stat().st_mtime
            when = datetime.fromtimestamp(handed_in, UTC)
            (target / "timestamp.txt").write_text(when.strftime(TIMESTAMP_FORMAT))
            added.append(f"{student.name}/{assignment} ({when:%Y-%m-%d %H:%M} UTC)")
    print(f"collect: {len(added)} submission(s) into {course / 'submitted'}"
          + "".join(f"\n  {a}" for a in added)
          + (f"\nkept (already submitted; remove the folder to replace it): {', '.join(kept)}" if kept else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("release", help="regenerate assignments/release/ (refuses to lose edits)")
    one.add_argument("--force", action="store_true", help="discard changes made inside the release")
    two = commands.add_parser("workspace", help="a student's working copy of the release (never overwritten)")
    two.add_argument("destination", type=Path)
    three = commands.add_parser("collect", help="submissions from elsewhere into submitted/, with timestamp.txt")
    three.add_argument("source", type=Path)
    three.add_argument("--course", type=Path, default=COURSE)
    args = parser.parse_args(argv)
    if args.command == "release":
        return release(args.force)
    if args.command == "collect":
        return collect(args.source, args.course)
    return workspace(args.destination)


if __name__ == "__main__":
    sys.exit(main())
