"""What a batch keeps per submission, in its output folder: the result, the feedback, the stamp of what
it was graded from, or the error that stopped it; written atomically, read back once.

``stamp_of`` says what a result was graded from (the submission's content as graded, the rubric,
the grader's code and secret's fingerprint): resume keeps a result only while it is the same.
``record`` writes a graded submission's files, ``result.json`` last (it marks the submission done).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

from micrograd_feedback.result import SubmissionResult
from micrograd_feedback.untrusted import markdown_text, shown

from ..rubric import Rubric
from .history import keep as keep_history

RESULT, FEEDBACK, ERROR, STAMP = "result.json", "feedback.md", "error.txt", "graded-from.json"
LATE = "late.json"  # grade-batch --late: this submission's lateness (late.Late), beside its result
OVERRIDES = "overrides.json"  # grade-batch --overrides: the instructor's notes and the adjusted scores
LATE_LINE = "**Late:** "  # the feedback's paragraphs about them (a student's text never starts a line so: escaped)
NOTE_LINE = "**Instructor's note:** "
CHANGED_LINE = "**Since the last grading:** "
FEEDBACK_PAGE = "feedback.html"
REPORT = "class-report.html"


def loaded(submission: Path):
    """The submission as read now, or the exception that stops reading it."""
    from ..intake.submission import load_submission

    try:
        return load_submission(submission)
    except Exception as error:  # noqa: BLE001 - unreadable now: grade it again and let the grader say why
        return error


def stamp_of(submission: Path, rubric: Rubric, read=None) -> dict[str, str]:
    """What a result was graded from: the submission's content as graded, the rubric, the grader.

    Resume keeps a result only while all three are the same: a student's changed file, an edited
    rubric or check, or a new grader secret means grading again.  ``read``: the submission as
    ``loaded`` read it already."""
    read = loaded(submission) if read is None else read
    if isinstance(read, Exception):
        content = f"unreadable: {type(read).__name__}"
    else:
        content = hashlib.sha256(json.dumps([read.digest, sorted(read.problems.items())]).encode()).hexdigest()
    return {"submission": content, "rubric": rubric_digest(rubric), "grader": grader_digest()}


def rubric_digest(rubric: Rubric) -> str:
    return hashlib.sha256(repr(rubric).encode()).hexdigest()


@functools.cache
def grader_digest() -> str:
    """The grading code, the reference and the secret's fingerprint (never the secret itself)."""
    from ..grading.secret import grader_secret

    digest = hashlib.sha256(hashlib.sha256(b"micrograd resume\0" + grader_secret()).digest())
    root = Path(__file__).resolve().parents[2]  # the kit: autograder/batch/ is two below
    for package in ("autograder", "micrograd_feedback", "solutions"):
        for path in sorted((root / package).rglob("*")):
            if path.suffix in {".py", ".toml", ".txt"} and "__pycache__" not in path.parts:
                digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def graded_stamp(folder: Path) -> dict[str, str] | None:
    """The stamp of a submission's stored result, or None when it has no complete result."""
    if load_result(folder) is None:
        return None
    try:
        stamp = json.loads((folder / STAMP).read_text())
    except (OSError, ValueError):
        return {}  # graded by a kit without stamps: grade it again
    return stamp if isinstance(stamp, dict) else {}


def record(submission: Path, folder: Path, result: SubmissionResult) -> None:
    """Write one submission's feedback, then its result (last: it marks the submission done)."""
    from ..reporters import feedback

    folder.mkdir(parents=True, exist_ok=True)
    keep_history(folder, RESULT, STAMP)  # the result this one replaces, for "what changed" (batch/history.py)
    for stale in (ERROR, STAMP):  # the parent stamps the new result once it is complete
        with contextlib.suppress(FileNotFoundError):
            (folder / stale).unlink()
    try:
        text = feedback.render(submission.name, result, folder)
    except Exception:  # noqa: BLE001 - feedback is a courtesy; the result must still land
        text = f"# Feedback for {markdown_text(submission.name)}\n\nScore: {result.score} / {result.max_score}\n"
    write_atomic(folder / FEEDBACK, text)
    with contextlib.suppress(Exception):  # the same feedback as a page to open in a browser (ditto)
        page = feedback.render_html(text, folder, f"Feedback for {shown(submission.name)}")
        write_atomic(folder / FEEDBACK_PAGE, page)
    write_atomic(folder / RESULT, json.dumps(result.to_json(), indent=2) + "\n")


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)


def load_result(folder: Path) -> dict | None:
    """The stored result of one submission, or None when it is not (completely) graded."""
    try:
        result = json.loads((folder / RESULT).read_text())
    except (OSError, ValueError):
        return None
    return result if isinstance(result, dict) and "parts" in result and "score" in result else None




def failure_reason(folder: Path) -> str:
    why = folder / ERROR
    lines = why.read_text(errors="replace").strip().splitlines() if why.is_file() else []
    return lines[-1][:200] if lines else "not graded yet"


def note_adjustments(folder: Path, late, notes: list[str], adjusted: dict | None,
                     changed: Sequence[str] = ()) -> None:
    """Store what the instructor's adjustments made of a graded submission (its lateness, ``late.Late`` or
    None; the overrides' ``notes`` and the ``adjusted`` copy of its result, or None) beside its result, and
    say them in its feedback, under the score, after what its last re-grade ``changed`` (``history.changes``);
    a later run replaces what an earlier one said."""
    import dataclasses

    from ..reporters import feedback

    for name, data in ((LATE, dataclasses.asdict(late) if late is not None else None),
                       (OVERRIDES, {"notes": notes, "score": adjusted["score"],
                                    "parts": {p: v["score"] for p, v in adjusted["parts"].items()}}
                        if adjusted is not None else None)):
        if data is None:
            with contextlib.suppress(FileNotFoundError):
                (folder / name).unlink()
        else:
            write_atomic(folder / name, json.dumps(data, indent=2) + "\n")
    try:
        text = (folder / FEEDBACK).read_text()
    except OSError:
        return
    paragraphs = [p for p in text.split("\n\n") if not p.startswith((LATE_LINE, NOTE_LINE, CHANGED_LINE))]
    at = next((i + 1 for i, p in enumerate(paragraphs) if p.startswith("**Score:")), 1)
    said = [CHANGED_LINE + markdown_text(change) for change in changed]
    said += [NOTE_LINE + markdown_text(note) for note in notes]
    if adjusted is not None:
        said.append(f"**Score with the instructor's changes: {adjusted['score']:g} / "
                    f"{adjusted.get('max_score', 0):g}**")
    if late is not None:
        said.append(LATE_LINE + markdown_text(late.sentence()))
    paragraphs[at:at] = said
    updated = "\n\n".join(paragraphs)
    if updated != text:
        write_atomic(folder / FEEDBACK, updated)
        title = text.split("\n", 1)[0].removeprefix("# ")
        with contextlib.suppress(Exception):  # the page is a courtesy, as in ``record``
            write_atomic(folder / FEEDBACK_PAGE, feedback.render_html(updated, folder, title))
