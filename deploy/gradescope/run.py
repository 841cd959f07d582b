"""Grade ``ROOT/submission`` and write ``ROOT/results/results.json``, whatever happens.

Called by ``run_autograder`` (as root, inside Gradescope's container) as
``python -m deploy.gradescope run --root /autograder``. Steps:

1. copy the submission into a private staging directory (never modifying the
   original), extracting any ``.zip`` it holds, dropping symlinks, with caps on
   file count and size so an archive bomb cannot fill the disk;
2. find what to grade: the folder holding ``micrograd_skeleton/`` (a
   repository), else the folder holding ``engine.py``/``nn.py``/``train.py``,
   else the folder holding notebooks; nothing found means an empty folder,
   which the grader scores 0 with a message per missing file;
3. run the grader's own command line, ``python -m autograder grade PATH
   --format gradescope``, in a child process with a wall-time limit;
4. check its output against Gradescope's format and write it atomically; if
   anything failed, write a valid results.json that says so instead.

The grader (not this driver) runs the student's code, as the unprivileged
user set up by ``setup.sh``; this driver never imports or runs it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy.gradescope.results import DEFAULT_MAX_SCORE, failure_results, problems

MODULE_FILES = ("engine.py", "nn.py", "train.py")
# Caps on what a submission may unpack to: far above a real one (a few files of
# a few kB), far below what would hurt the container.
MAX_FILES = 2_000
MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 6
SKIPPED_DIRS = frozenset({"__MACOSX", "__pycache__", ".git", ".venv", "venv", "node_modules", ".ipynb_checkpoints"})
# Gradescope's default per-submission limit is 10 minutes; finish well before
# it so there is time left to write results.json.
DEFAULT_TIMEOUT = 480.0
# What the student sees of an internal failure; details go to stdout, which
# only instructors see (stdout_visibility: hidden).
INTERNAL_ERROR = (
    "The autograder could not finish grading this submission. This is not a verdict on your code: "
    "your instructor can see the details and will regrade it. You may also resubmit."
)


NOTHING_FOUND = "No engine.py, nn.py, train.py, micrograd_skeleton/ or notebook was found in your submission."


def rubric_total() -> float:
    """The rubric's total points (the contract's default if the rubric cannot be read)."""
    try:
        from autograder.rubric import load_rubric

        return load_rubric().total
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
            notebooks = ", ".join(sorted(p.name for p in directory.glob("*.ipynb")))
            return Located(directory, f"notebooks {notebooks} ({_shown(directory, staging)})")
    return None


def _shown(directory: Path, staging: Path) -> str:
    relative = directory.relative_to(staging)
    return "the top folder of the upload" if not relative.parts else f"folder {relative.as_posix()}/"


def _listing(staging: Path, limit: int = 20) -> str:
    files = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
    shown = ", ".join(files[:limit]) + (f" and {len(files) - limit} more" if len(files) > limit else "")
    return shown or "nothing"


def run_grader(path: Path, output: Path, *, source: Path, timeout: float) -> tuple[dict[str, Any] | None, str]:
    """Run ``python -m autograder grade PATH --format gradescope``; return (results, log for instructors)."""
    command = [sys.executable, "-m", "autograder", "grade", str(path), "--format", "gradescope",
               "--output", str(output)]
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
    log = f"$ {' '.join(command)}\nexit status {process.returncode}\n{stdout[-20_000:]}{stderr[-20_000:]}"
    if process.returncode != 0:
        return None, log
    try:
        return json.loads(output.read_text()), log
    except (OSError, ValueError) as error:
        return None, f"{log}\nno readable results from the grader: {error}"


def finish(results: dict[str, Any], located: Located, started: float) -> dict[str, Any]:
    """Fill in what Gradescope needs that the grader may leave out, and say what was graded."""
    results = dict(results)
    results.setdefault("execution_time", round(time.monotonic() - started, 3))
    # Instructors see stdout (the grader's log); students must not.
    results["stdout_visibility"] = "hidden"
    found = f"Graded: {located.description}."
    results["output"] = f"{found}\n\n{results['output']}" if results.get("output") else found
    results.setdefault("output_format", "text")
    if "score" not in results and isinstance(results.get("tests"), list):
        results["score"] = sum(t.get("score", 0) for t in results["tests"] if isinstance(t, dict))
    return results


def write_atomically(results: dict[str, Any], destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=".results-", suffix=".json")
    with os.fdopen(handle, "w") as stream:
        json.dump(results, stream, indent=2, allow_nan=False)
        stream.write("\n")
    os.chmod(temporary, 0o644)
    os.replace(temporary, destination)


def grade_submission(root: Path, *, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """Grade ``root/submission`` into ``root/results/results.json``; return what was written."""
    started = time.monotonic()
    source = root / "source"
    destination = root / "results" / "results.json"
    # A stale results.json must never be uploaded in place of this run's.
    destination.unlink(missing_ok=True)
    work = Path(tempfile.mkdtemp(prefix="gradescope-"))
    try:
        staging = work / "submission"
        staging.mkdir()
        try:
            stage(root / "submission", staging)
        except (StagingError, OSError) as error:
            message = (f"Your submission could not be read: {error}. "
                       "Upload engine.py, nn.py and train.py, or one .zip of your repository.")
            print(f"staging failed: {error!r}")
            results = failure_results(message, execution_time=time.monotonic() - started, max_score=rubric_total())
            write_atomically(results, destination)
            return results
        located = locate(staging)
        if located is None:
            listing = _listing(staging)
            print(f"nothing to grade; the upload holds: {listing}")
            message = (
                f"{NOTHING_FOUND} Your upload holds: {listing}. Upload engine.py, nn.py and train.py "
                "(or a .zip of your repository, or the notebooks) and submit again."
            )
            results = failure_results(message, execution_time=time.monotonic() - started, max_score=rubric_total())
            write_atomically(results, destination)
            return results
        graded, log = run_grader(located.path, work / "gradescope.json", source=source, timeout=timeout)
        print(log)
        if graded is not None:
            graded = finish(graded, located, started)
            errors = problems(graded)
            if errors:
                print("the grader's results.json is not valid for Gradescope:\n  " + "\n  ".join(errors))
                graded = None
        if graded is not None:
            results = graded
        else:
            results = failure_results(INTERNAL_ERROR, execution_time=time.monotonic() - started,
                                      max_score=rubric_total())
        write_atomically(results, destination)
        return results
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.gradescope run", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(os.environ.get("AUTOGRADER_ROOT", "/autograder")))
    parser.add_argument("--timeout", type=float, default=float(os.environ.get("GRADE_TIMEOUT", DEFAULT_TIMEOUT)))
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        results = grade_submission(args.root, timeout=args.timeout)
    except Exception as error:  # noqa: BLE001 - results.json must be written whatever went wrong
        print(f"the Gradescope driver failed: {error!r}")
        results = failure_results(INTERNAL_ERROR, execution_time=time.monotonic() - started)
        write_atomically(results, args.root / "results" / "results.json")
    print(f"score {results.get('score')}; results written to {args.root / 'results' / 'results.json'}")
    return 0
