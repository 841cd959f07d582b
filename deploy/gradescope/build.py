"""Build Gradescope's ``autograder.zip`` from this repository.

Layout of the zip (Gradescope extracts it to ``/autograder/source``)::

    setup.sh              installs everything (Gradescope runs it once per image build)
    run_autograder        grades one submission (Gradescope copies it to /autograder/)
    requirements.txt      the grader's Python dependencies, from pyproject.toml, without torch
    torch-requirement.txt the pinned CPU PyTorch, installed first from PyTorch's CPU index
    assignment.txt        (with --assignment) the one assignment of the rubric this zip grades
    autograder/ solutions/ micrograd_skeleton/ deploy/   the grader and what it imports

The zip is reproducible: sorted entries, fixed timestamps, fixed modes, so the
same commit builds the same bytes.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from deploy.bundle import package_files, requirements, torch_requirement

HERE = Path(__file__).resolve().parent
# 1980-01-01, the earliest time a zip can store: the same bytes on every build.
EPOCH = (1980, 1, 1, 0, 0, 0)
ASSIGNMENT_FILE = "assignment.txt"  # present when the zip grades one assignment of the rubric


def _entry(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=EPOCH)
    info.external_attr = (0o100000 | mode) << 16  # a regular file with these permission bits
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def files(assignment: str | None = None) -> dict[str, tuple[bytes, int]]:
    """Every entry of the zip: name -> (content, mode).  With ``assignment``, the zip grades that
    assignment of the rubric only (``assignment.txt``)."""
    entries: dict[str, tuple[bytes, int]] = {
        "setup.sh": ((HERE / "setup.sh").read_bytes(), 0o755),
        "run_autograder": ((HERE / "run_autograder").read_bytes(), 0o755),
        "requirements.txt": (("\n".join(requirements()) + "\n").encode(), 0o644),
        "torch-requirement.txt": ((torch_requirement() + "\n").encode(), 0o644),
    }
    entries.update({name: (content, 0o644) for name, content in package_files().items()})
    if assignment:
        entries[ASSIGNMENT_FILE] = ((assignment + "\n").encode(), 0o644)
    return entries


def build(out: Path, assignment: str | None = None) -> Path:
    """Write the zip to ``out`` and return it."""
    if assignment:
        from autograder.rubric import load_rubric

        load_rubric().for_assignment(assignment)  # an unknown name fails here, not in Gradescope
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_suffix(out.suffix + ".tmp")
    with zipfile.ZipFile(temporary, "w") as archive:
        for name, (content, mode) in sorted(files(assignment).items()):
            archive.writestr(_entry(name, mode), content)
    temporary.replace(out)
    return out
