"""Submissions handed in elsewhere (an LMS download, email) into an nbgrader course's ``submitted/``.

``make collect FROM=DOWNLOAD [ASSIGNMENT=value_engine]`` (``python tools/collect.py DOWNLOAD``).
DOWNLOAD is a folder or a ``.zip`` in one of the shapes LMS bulk downloads have:

- **per-student folders** ``<student>/<assignment>.ipynb`` or ``<student>/<assignment>/...``;
- **Moodle** ("Download all submissions", in folders): ``<Full Name>_<participant id>_assignsubmission_file_/``
  holding the files; the student is ``moodle-<participant id>``;
- **Canvas** ("Download Submissions"), one flat folder: ``<login>_[LATE_]<user id>_<submission id>_<file>``,
  a resubmission's file with ``-1``, ``-2`` ... before its extension; the student is ``<login>``.

With the course's roster (``make roster``) holding an ``lms_user_id`` column, the LMS's user id
(Canvas's user id, Moodle's participant id) names the student by the roster's ``id`` instead.

Which assignment a notebook is: its file name (``value_engine.ipynb``), or ``--assignment`` for a
download of one assignment whose students renamed their files.  Each submission lands in
``COURSE/submitted/<student>/<assignment>/`` with nbgrader's ``timestamp.txt`` (the download's
time for the file: its modification time, a zip member's date), so late penalties work.  Then:

- new: copied;
- unchanged (same notebooks as already there): left alone;
- changed and newer: the one there moves to ``COURSE/submitted-archive/<student>/<assignment>/<its time>/``
  (nothing is ever deleted) and the new one takes its place;
- changed but not newer than the one there: kept as it is, and said.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from micrograd_feedback.untrusted import shown  # noqa: E402
from tools.generate_notebooks import ASSIGNMENTS  # noqa: E402

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"  # nbgrader's default CourseDirectory.timestamp_format
CANVAS = re.compile(r"^(?P<login>[^_/]+)_(?:LATE_)?(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$")
MOODLE = re.compile(r"^(?P<name>.+)_(?P<participant>\d+)_assignsubmission_[a-z]+_$")
RESUBMISSION = re.compile(r"-\d+(?=\.[A-Za-z0-9]+$)")  # Canvas: value_engine-1.ipynb
SKIPPED = {"__MACOSX", ".ipynb_checkpoints", ".DS_Store"}


@dataclass
class Handed:
    """One student's hand-in of one assignment: its files (name -> bytes) and when."""

    student: str
    assignment: str
    files: dict[str, bytes] = field(default_factory=dict)
    when: float = 0.0  # seconds since the epoch

    def digest(self) -> str:
        h = hashlib.sha256()
        for name in sorted(n for n in self.files if n.endswith(".ipynb")):
            h.update(name.encode() + b"\0" + self.files[name] + b"\0")
        return h.hexdigest()


def assignment_of(filename: str, forced: str | None) -> str | None:
    stem = RESUBMISSION.sub("", Path(filename).name)
    if forced:
        return forced if stem.endswith(".ipynb") else None
    return Path(stem).stem if Path(stem).stem in ASSIGNMENTS and stem.endswith(".ipynb") else None


def entries(download: Path) -> Iterator[tuple[str, bytes, float]]:
    """(relative path, bytes, modification time) of every regular file of a folder or a zip."""
    if download.is_file() and download.suffix.lower() == ".zip":
        with zipfile.ZipFile(download) as archive:
            for info in archive.infolist():
                parts = Path(info.filename).parts
                if info.is_dir() or not parts or ".." in parts or info.filename.startswith("/") \
                        or SKIPPED & set(parts):
                    continue
                yield "/".join(parts), archive.read(info), datetime(*info.date_time, tzinfo=UTC).timestamp()
        return
    for path in sorted(download.rglob("*")):
        relative = path.relative_to(download)
        if path.is_symlink() or not path.is_file() or SKIPPED & set(relative.parts):
            continue
        yield relative.as_posix(), path.read_bytes(), path.stat().st_mtime


def hand_ins(download: Path, forced: str | None = None,
             lms_ids: dict[str, str] | None = None) -> tuple[list[Handed], list[str]]:
    """Every hand-in the download holds, and what was not understood.  ``lms_ids`` maps an LMS's user id
    (Canvas's user id, Moodle's participant id: the roster's ``lms_user_id``) to the roster's id."""
    lms_ids = lms_ids or {}
    found: dict[tuple[str, str], Handed] = {}
    ignored = []
    for relative, data, when in entries(download):
        parts = relative.split("/")
        assignment: str | None
        if len(parts) == 1:  # a flat download: Canvas's names
            match = CANVAS.match(parts[0])
            assignment = assignment_of(match["file"], forced) if match else None
            student, name = (lms_ids.get(match["user"], match["login"]), RESUBMISSION.sub("", match["file"])) \
                if match else ("", "")
        else:  # a folder per student: its own name, or Moodle's
            folder = MOODLE.match(parts[0])
            student = lms_ids.get(folder["participant"], f"moodle-{folder['participant']}") if folder else parts[0]
            rest = parts[1:]
            if len(rest) > 1 and rest[0] in ASSIGNMENTS:  # <student>/<assignment>/<files>
                assignment, name = rest[0], "/".join(rest[1:])
            elif len(rest) == 1:
                assignment, name = assignment_of(rest[0], forced), RESUBMISSION.sub("", rest[0])
            else:
                assignment, name = forced, "/".join(rest)
        if not assignment or not student:
            ignored.append(relative)
            continue
        hand_in = found.setdefault((student, assignment), Handed(student, assignment))
        hand_in.files[name] = data
        hand_in.when = max(hand_in.when, when)
    for hand_in in found.values():  # one notebook under another name: the name nbgrader's gradebook knows
        notebooks = [n for n in hand_in.files if n.endswith(".ipynb") and "/" not in n]
        if len(notebooks) == 1 and notebooks[0] != f"{hand_in.assignment}.ipynb":
            hand_in.files[f"{hand_in.assignment}.ipynb"] = hand_in.files.pop(notebooks[0])
    return sorted(found.values(), key=lambda h: (h.student, h.assignment)), ignored


def submitted_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def submitted_time(folder: Path) -> float:
    try:
        text = (folder / "timestamp.txt").read_text().strip()
        return datetime.strptime(text.replace(" UTC", " +0000"), "%Y-%m-%d %H:%M:%S.%f %z").timestamp()
    except (OSError, ValueError):
        return folder.stat().st_mtime


def write(hand_in: Handed, target: Path) -> None:
    for name, data in hand_in.files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    stamp = datetime.fromtimestamp(hand_in.when, UTC)
    (target / "timestamp.txt").write_text(stamp.strftime(TIMESTAMP_FORMAT))


def lms_ids_of(course: Path) -> dict[str, str]:
    """The course roster's ``lms_user_id`` -> ``id`` (``make roster`` keeps it in the course)."""
    from autograder.intake.roster import RosterError, read_roster

    try:
        roster = read_roster(course / "roster.csv") if (course / "roster.csv").is_file() else {}
    except RosterError:
        return {}
    return {s.extra["lms_user_id"]: s.id for s in roster.values() if s.extra.get("lms_user_id")}


def collect(download: Path, course: Path, forced: str | None = None) -> int:
    if forced and forced not in ASSIGNMENTS:
        print(f"collect: no assignment {forced!r} (known: {', '.join(ASSIGNMENTS)})", file=sys.stderr)
        return 2
    hand_ins_found, ignored = hand_ins(download, forced, lms_ids_of(course))
    report: dict[str, list[str]] = {"new": [], "replaced": [], "unchanged": [], "kept": []}
    for hand_in in hand_ins_found:
        label = f"{shown(hand_in.student)}/{hand_in.assignment}"
        when = datetime.fromtimestamp(hand_in.when, UTC)
        target = course / "submitted" / hand_in.student / hand_in.assignment
        if not target.exists():
            write(hand_in, target)
            report["new"].append(f"{label} ({when:%Y-%m-%d %H:%M} UTC)")
            continue
        if submitted_digest(target) == hand_in.digest():
            report["unchanged"].append(label)
            continue
        previous = submitted_time(target)
        if hand_in.when <= previous:
            report["kept"].append(f"{label} (the one there is as new or newer)")
            continue
        archive = course / "submitted-archive" / hand_in.student / hand_in.assignment / \
            datetime.fromtimestamp(previous, UTC).strftime("%Y%m%dT%H%M%SZ")
        archive.parent.mkdir(parents=True, exist_ok=True)
        if archive.exists():
            shutil.rmtree(target)  # the same version is archived already
        else:
            shutil.move(str(target), archive)
        write(hand_in, target)
        report["replaced"].append(f"{label} ({when:%Y-%m-%d %H:%M} UTC; the previous one is in "
                                  f"{archive.relative_to(course)})")
    print(f"collect: {len(report['new'])} new, {len(report['replaced'])} replaced by a newer hand-in, "
          f"{len(report['unchanged'])} unchanged, {len(report['kept'])} kept, into {course / 'submitted'}")
    for kind in ("new", "replaced", "kept"):
        for line in report[kind]:
            print(f"  {kind}: {line}")
    if ignored:
        print(f"  not a hand-in of {forced or ' or '.join(ASSIGNMENTS)} (ignored): "
              + ", ".join(shown(name) for name in ignored[:10]) + (" ..." if len(ignored) > 10 else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("download", type=Path, help="an LMS download: a folder or a .zip")
    parser.add_argument("--course", type=Path, default=ROOT / "assignments")
    parser.add_argument("--assignment", help="every notebook of the download is this assignment's")
    args = parser.parse_args(argv)
    if not args.download.exists():
        print(f"collect: {args.download} does not exist", file=sys.stderr)
        return 2
    return collect(args.download, args.course, args.assignment)


if __name__ == "__main__":
    sys.exit(main())
