"""``make classroom50``: what a Classroom 50 config repository needs for each assignment.

    DIR/private/micrograd-grader-<version>.tar.gz   the grader bundle: keep it private
    DIR/autograders/<slug>/autograder.py           deploy/runner.py, published by Classroom 50's Pages
    DIR/autograders/<slug>/grader.json             where the bundle is, its pinned sha256, the assignment
    DIR/autograders/<slug>.tar.gz                  the folder packed as Pages serves it (for a local check)

The autograder folder is public (Classroom 50 publishes it through GitHub
Pages): it holds no grader, only how to get one and the digest that proves it
is the right one.  The bundle reaches the runner from a location the teacher
controls (docs/classroom.md).
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import tarfile
from pathlib import Path

from autograder.rubric import load_rubric
from deploy import bundle

RUNNER = Path(__file__).resolve().parents[1] / "runner.py"
PLACEHOLDER = "https://api.github.com/repos/OWNER/PRIVATE-REPO/releases/assets/ASSET_ID"


def slug(assignment: str) -> str:
    """Classroom 50's slugs are lower-case letters, digits and dashes."""
    return assignment.replace("_", "-")


def pack(folder: Path, name: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path in sorted(folder.rglob("*")):
            info = tarfile.TarInfo(f"{name}/{path.relative_to(folder).as_posix()}")
            data = path.read_bytes()
            info.size, info.mode, info.mtime = len(data), 0o644, bundle.MTIME
            archive.addfile(info, io.BytesIO(data))
    return gzip.compress(buffer.getvalue(), mtime=0)


def build(out: Path, bundle_location: str = "", torch_index: str = "") -> list[str]:
    out = Path(out)
    path, digest = bundle.build(out / "private")
    written = [f"{path}  (sha256 {digest}): private; upload it where only graders can fetch it"]
    for assignment in load_rubric().assignments:
        folder = out / "autograders" / slug(assignment)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        shutil.copyfile(RUNNER, folder / "autograder.py")
        settings = {"bundle": bundle_location or PLACEHOLDER, "sha256": digest, "assignment": assignment,
                    "torch_index": torch_index}
        (folder / "grader.json").write_text(json.dumps(settings, indent=2) + "\n")
        (out / "autograders" / f"{slug(assignment)}.tar.gz").write_bytes(pack(folder, slug(assignment)))
        written.append(f"{folder}/: copy into <classroom>/autograders/ of your Classroom 50 config repository")
    return written
