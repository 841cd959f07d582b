"""The student template repository for plain GitHub Actions.

``write_template(out)`` lays out::

    micrograd_skeleton/                  the generated skeleton, its public tests in tests/
    micrograd_feedback/                  the public checks (answer-free, as in the student wheel)
    README.md  pytest.ini  requirements.txt  .gitignore
    .github/workflows/micrograd.yml      the public checks (feedback), and nothing of the grader
    .github/micrograd/public-checks.sh   runs the public checks read-only

The grade of record comes from the course's private repository
(``deploy/github/grade_of_record.py``, ``make github-grader``): no student's
repository ever holds a course secret.  ``write_template(out, sha256,
ci_grade=True)`` is the opt-in variant whose workflow also grades in the
student's repository with the private bundle (pinned by ``sha256``); a student
who edits it can read the token and the bundle, so its grade is feedback only.
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
CI_GRADE_NOTE = """
This repository's workflow also runs a second job, **Grade (hidden grader)**,
on every push: a preview of the grade on a fresh machine (its table is on the
run's *Summary* page, its score in the commit status `micrograd/ci-grade`). The
grade that counts is the course's, posted as described above. Do not edit
`.github/`: the preview records the workflow's fingerprint.
"""
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".hypothesis")


def public_workflow() -> str:
    """The default ``.github/workflows/micrograd.yml``: the public checks, no secret, no grader."""
    return (FILES / "micrograd.yml").read_text().replace("@PYTHON_VERSION@", PYTHON_VERSION)


def workflow(sha256: str, *, assignment: str | None = None, torch_index: str = TORCH_INDEX) -> str:
    """The opt-in CI-grade workflow (public checks and the hidden grader), pinned to the bundle's sha256."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("the bundle's sha256 must be 64 lower-case hex digits (python -m deploy.bundle prints it)")
    text = (FILES / "micrograd-ci-grade.yml").read_text()
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


def write_template(out: Path, sha256: str | None = None, *, ci_grade: bool = False, assignment: str | None = None,
                   torch_index: str = TORCH_INDEX) -> Path:
    """Write the template repository into ``out`` (which must not exist or be empty): public checks only,
    or with ``ci_grade`` also the grade job pinned to the bundle ``sha256``."""
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty; choose a new directory")
    if ci_grade and not sha256:
        raise ValueError("the CI-grade workflow pins the grader bundle: give its sha256")
    text = workflow(str(sha256), assignment=assignment, torch_index=torch_index) if ci_grade else public_workflow()
    out.mkdir(parents=True, exist_ok=True)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, out / package, ignore=IGNORED)
    for name in ("README.md", "pytest.ini", "requirements.txt"):
        shutil.copyfile(FILES / name, out / name)
    if ci_grade:
        with open(out / "README.md", "a") as readme:
            readme.write(CI_GRADE_NOTE)
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
