"""An upload, as a platform hands it over, to a graded result: shared by every platform driver.

1. ``stage``: copy the upload into a private folder (never modifying the original),
   extracting any ``.zip`` it holds, dropping links, with caps on file count and
   size so an archive bomb cannot fill the disk;
2. ``locate``: find what to grade: the folder holding ``micrograd_skeleton/`` (a
   repository), else the one holding ``engine.py``/``nn.py``/``train.py``, else
   the one holding notebooks;
3. ``run_grader``: the grader's own command line, ``python -m autograder grade
   PATH --format json``, in a child process with a wall-time limit.

The grader (not this module) runs the student's code, in its sandbox; nothing
here imports or runs it.  Each platform (deploy/gradescope, deploy/prairielearn,
deploy/github, deploy/classroom50) turns the result into its own format.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from micrograd_feedback.result import SubmissionResult
from micrograd_feedback.untrusted import shown

DEFAULT_MAX_SCORE = 100.0  # the contract's total, when the rubric cannot be read

MODULE_FILES = ("engine.py", "nn.py", "train.py")
# Caps on what a submission may unpack to: far above a real one (a few files of
# a few kB), far below what would hurt the container.
MAX_FILES = 2_000
MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 6
SKIPPED_DIRS = frozenset({"__MACOSX", "__pycache__", ".git", ".venv", "venv", "node_modules", ".ipynb_checkpoints"})
# What the student sees of an internal failure; details go to the platform's log,
# which only instructors see.
INTERNAL_ERROR = (
    "The autograder could not finish grading this submission. This is not a verdict on your code: "
    "your instructor can see the details and will regrade it. You may also resubmit."
)


NOTHING_FOUND = "No engine.py, nn.py, train.py, micrograd_skeleton/ or notebook was found in your submission."


def rubric_total(assignment: str | None = None) -> float:
    """The rubric's total points (the contract's default if the rubric cannot be read)."""
    try:
        from autograder.rubric import load_rubric

        rubric = load_rubric()
        return (rubric.for_assignment(assignment) if assignment else rubric).total
    except Exception:  # noqa: BLE001 - a failure result must still be written
        return DEFAULT_MAX_SCORE


class StagingError(Exception):
    """The submission could not be copied (too big, too many files, a broken zip)."""


@dataclass(frozen=True)
class Located:
    """What was found to grade: ``path`` is given to the grader, ``description`` to the student."""

    path: Path
    description: str


def _check_budget(count: int, size: int) -> None:
    if count > MAX_FILES:
        raise StagingError(f"the submission has more than {MAX_FILES} files")
    if size > MAX_BYTES:
        raise StagingError(f"the submission is larger than {MAX_BYTES // (1024 * 1024)} MB")


def _extract_zip(archive: Path, target: Path, budget: list[int]) -> None:
    """Extract regular files of ``archive`` under ``target``; no absolute paths, ``..`` or links."""
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                parts = Path(info.filename).parts
                mode = info.external_attr >> 16
                if info.is_dir() or stat.S_ISLNK(mode) or not parts:
                    continue
                if Path(info.filename).is_absolute() or ".." in parts or any(p in SKIPPED_DIRS for p in parts):
                    continue
                budget[0] += 1
                budget[1] += info.file_size
                _check_budget(*budget)
                destination = target.joinpath(*parts)
                destination.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as source, open(destination, "wb") as sink:
                    # file_size is what the archive claims; count what is really written.
                    written = 0
                    while chunk := source.read(1 << 16):
                        written += len(chunk)
                        if written > info.file_size or budget[1] - info.file_size + written > MAX_BYTES:
                            raise StagingError(f"{archive.name} unpacks to more than it declares")
                        sink.write(chunk)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as error:
        # RuntimeError: an encrypted member; NotImplementedError: an unknown compression.
        raise StagingError(f"{archive.name} could not be unpacked ({type(error).__name__})") from error


def stage(submission: Path, staging: Path) -> None:
    """Copy ``submission`` into ``staging``: regular files only, zips extracted beside them."""
    budget = [0, 0]  # files, bytes
    for directory, dirnames, filenames in os.walk(submission):
        here = Path(directory)
        relative = here.relative_to(submission)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not (here / d).is_symlink())
        if len(relative.parts) > MAX_DEPTH:
            dirnames[:] = []
            continue
        for name in sorted(filenames):
            source = here / name
            if source.is_symlink() or not source.is_file():
                continue
            budget[0] += 1
            budget[1] += source.stat().st_size
            _check_budget(*budget)
            target = staging / relative / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            if name.lower().endswith(".zip"):
                _extract_zip(source, staging / relative / name[:-4], budget)


def _depth(path: Path, root: Path) -> int:
    return len(path.relative_to(root).parts)


def locate(staging: Path) -> Located | None:
    """The folder to grade inside ``staging``, preferring a repository, then modules, then notebooks."""
    directories = [staging]
    for here, dirnames, _ in os.walk(staging):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        directories += [Path(here) / d for d in dirnames]
    directories.sort(key=lambda d: (_depth(d, staging), str(d)))

    for directory in directories:
        package = directory / "micrograd_skeleton"
        if package.is_dir() and any((package / name).is_file() for name in MODULE_FILES):
            return Located(directory, f"a repository with micrograd_skeleton/ ({_shown(directory, staging)})")
    with_modules = [(sum((d / n).is_file() for n in MODULE_FILES), d) for d in directories]
    best = max((count for count, _ in with_modules), default=0)
    if best:
        directory = next(d for count, d in with_modules if count == best)
        names = ", ".join(n for n in MODULE_FILES if (directory / n).is_file())
        return Located(directory, f"{names} ({_shown(directory, staging)})")
    for directory in directories:
        if any(p.suffix == ".ipynb" for p in directory.iterdir() if p.is_file()):
            notebooks = ", ".join(sorted(shown(p.name) for p in directory.glob("*.ipynb")))
            return Located(directory, f"notebooks {notebooks} ({_shown(directory, staging)})")
    return None


def _shown(directory: Path, staging: Path) -> str:
    relative = directory.relative_to(staging)
    return "the top folder of the upload" if not relative.parts else f"folder {shown(relative.as_posix())}/"


def _listing(staging: Path, limit: int = 20) -> str:
    files = sorted(shown(p.relative_to(staging).as_posix()) for p in staging.rglob("*") if p.is_file())
    listed = ", ".join(files[:limit]) + (f" and {len(files) - limit} more" if len(files) > limit else "")
    return listed or "nothing"


def run_grader(path: Path, output: Path, *, source: Path, timeout: float,
               assignment: str | None = None) -> tuple[SubmissionResult | None, str]:
    """Run ``python -m autograder grade PATH --format json`` in its own session, with a wall-time
    limit; return (the result, or None if the grader failed, and a log for instructors)."""
    command = [sys.executable, "-m", "autograder", "grade", str(path), "--format", "json", "--output", str(output)]
    if assignment:
        command += ["--assignment", assignment]
    # Its own session, so that on a timeout the grader and everything it started
    # in its process group go together.
    process = subprocess.Popen(
        command, cwd=source, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, errors="replace", start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return None, f"the grader did not finish within {timeout:.0f} s"
    # Instructors read it in a terminal or a CI log: nothing in it may drive the terminal.
    log = shown(f"$ {' '.join(command)}\nexit status {process.returncode}\n{stdout[-20_000:]}{stderr[-20_000:]}",
                50_000, lines=True)
    if process.returncode != 0:
        return None, log
    try:
        return SubmissionResult.from_json(json.loads(output.read_text())), log
    except (OSError, ValueError, KeyError, TypeError) as error:
        return None, f"{log}\nno readable result from the grader: {error}"


@dataclass
class Graded:
    """One upload, graded: ``result`` (None when grading failed), what was found, and why not."""

    result: SubmissionResult | None
    located: Located | None
    message: str  # for the student when there is no result ("" otherwise)
    log: str  # for instructors


def grade_upload(upload: Path, *, source: Path, timeout: float, assignment: str | None = None) -> Graded:
    """Stage ``upload`` privately (never modifying it), find what to grade, grade it."""
    work = Path(tempfile.mkdtemp(prefix="micrograd-upload-"))
    try:
        staging = work / "submission"
        staging.mkdir()
        try:
            stage(upload, staging)
        except (StagingError, OSError) as error:
            message = (f"Your submission could not be read: {error}. "
                       "Upload engine.py, nn.py and train.py, or one .zip of your repository.")
            return Graded(None, None, message, f"staging failed: {error!r}")
        located = locate(staging)
        if located is None:
            listing = _listing(staging)
            message = (f"{NOTHING_FOUND} Your upload holds: {listing}. Upload engine.py, nn.py and train.py "
                       "(or a .zip of your repository, or the notebooks) and submit again.")
            return Graded(None, None, message, f"nothing to grade; the upload holds: {listing}")
        result, log = run_grader(located.path, work / "result.json", source=source, timeout=timeout,
                                 assignment=assignment)
        return Graded(result, located, "" if result is not None else INTERNAL_ERROR, log)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write_atomically(data: dict[str, Any], destination: Path) -> None:
    """JSON to ``destination`` by rename: a platform never reads half a file."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=".results-", suffix=".json")
    with os.fdopen(handle, "w") as stream:
        json.dump(data, stream, indent=2, allow_nan=False)
        stream.write("\n")
    os.chmod(temporary, 0o644)
    os.replace(temporary, destination)
