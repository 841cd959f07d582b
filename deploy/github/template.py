"""The student template repository for grading with plain GitHub Actions.

``write_template(out, sha256)`` lays out::

    micrograd_skeleton/                  the generated skeleton, its public tests in tests/
    micrograd_feedback/                  the public checks (answer-free, as in the student wheel)
    README.md  pytest.ini  requirements.txt  .gitignore
    .github/workflows/micrograd.yml      public checks (feedback) and the grade, as two jobs
    .github/micrograd/public-checks.sh   runs the public checks read-only

Nothing of the hidden grader is copied, and every text is checked for
reference code before it is written (the student wheel's own leak check).
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FILES = Path(__file__).resolve().parent / "files"
PACKAGES = ("micrograd_skeleton", "micrograd_feedback")  # what students hold (tools/build_student_wheel.py)
PYTHON_VERSION = "3.11"
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".hypothesis")


def workflow(sha256: str, *, assignment: str | None = None, torch_index: str = TORCH_INDEX) -> str:
    """The text of ``.github/workflows/micrograd.yml``, pinned to the bundle with this sha256."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("the bundle's sha256 must be 64 lower-case hex digits (python -m deploy.bundle prints it)")
    text = (FILES / "micrograd.yml").read_text()
    for placeholder, value in {
        "@PYTHON_VERSION@": PYTHON_VERSION,
        "@SHA256@": sha256,
        "@TORCH_INDEX_OPTION@": f"--torch-index {torch_index}" if torch_index else "",
        "@ASSIGNMENT_OPTION@": f" --assignment {assignment}" if assignment else "",
    }.items():
        text = text.replace(placeholder, value)
    return text


def workflow_digest(text: str) -> str:
    """What ``deploy.ci`` records for an unedited checkout (one workflow file)."""
    return hashlib.sha256(b"micrograd.yml\0" + text.encode() + b"\0").hexdigest()


def write_template(out: Path, sha256: str, *, assignment: str | None = None, torch_index: str = TORCH_INDEX) -> Path:
    """Write the template repository into ``out`` (which must not exist or be empty)."""
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty; choose a new directory")
    text = workflow(sha256, assignment=assignment, torch_index=torch_index)
    out.mkdir(parents=True, exist_ok=True)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, out / package, ignore=IGNORED)
    for name in ("README.md", "pytest.ini", "requirements.txt"):
        shutil.copyfile(FILES / name, out / name)
    shutil.copyfile(FILES / "gitignore", out / ".gitignore")
    (out / ".github" / "workflows").mkdir(parents=True)
    (out / ".github" / "workflows" / "micrograd.yml").write_text(text)
    (out / ".github" / "micrograd").mkdir()
    shutil.copyfile(FILES / "public-checks.sh", out / ".github" / "micrograd" / "public-checks.sh")
    leaked = leaks(out)
    if leaked:  # refuse rather than publish the answers
        shutil.rmtree(out)
        raise RuntimeError("the template would publish reference code: " + "; ".join(leaked))
    return out


def leaks(out: Path) -> list[str]:
    sys.path.insert(0, str(ROOT / "tools"))
    from build_student_wheel import leaks as find

    texts = {str(p.relative_to(out)): p.read_text(errors="replace") for p in out.rglob("*")
             if p.is_file() and p.suffix in {".py", ".md", ".txt", ".ini", ".yml", ".sh", ".json", ".toml"}}
    hidden = [str(p.relative_to(out)) for p in out.rglob("*") if p.name in {"autograder", "solutions"}]
    return find(texts) + [f"{name}: a hidden folder" for name in hidden]
