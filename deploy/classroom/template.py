"""The student template repository for GitHub Classroom, and the grader bundle it fetches.

``write_template(out)`` lays out::

    micrograd_skeleton/           the generated skeleton, with its public tests in tests/
    README.md                     for students: what to write, how to check, how grading works
    pytest.ini                    `python -m pytest` runs the public tests
    requirements.txt              what students install
    .gitignore
    .github/workflows/classroom.yml   public tests for feedback; the hidden grader for the grade

Nothing of the hidden autograder is copied: ``autograder/`` and ``solutions/``
stay with the instructor. ``write_bundle(out)`` packs them (with the files
``pip install -e .`` needs) into the tarball the workflow's "release" option
downloads.
"""

from __future__ import annotations

import importlib.metadata
import io
import shutil
import tarfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FILES = Path(__file__).resolve().parent / "files"
SKELETON = ROOT / "micrograd_skeleton"
PYTHON_VERSION = "3.11"
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
BUNDLE_NAME = "micrograd-grader.tar.gz"
# What must never reach a student's repository.
HIDDEN = ("autograder", "solutions")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".hypothesis")


def torch_spec() -> str:
    """The PyTorch version tested here, pinned, for the workflow's CPU install."""
    try:
        return "torch==" + importlib.metadata.version("torch").split("+")[0]
    except importlib.metadata.PackageNotFoundError:
        return "torch==2.13.0"


def workflow() -> str:
    """The text of ``.github/workflows/classroom.yml``."""
    text = (FILES / "classroom.yml").read_text()
    for placeholder, value in {
        "@PYTHON_VERSION@": PYTHON_VERSION,
        "@TORCH_INDEX@": TORCH_INDEX,
        "@TORCH_SPEC@": torch_spec(),
    }.items():
        text = text.replace(placeholder, value)
    return text


def write_template(out: Path) -> Path:
    """Write the template repository into ``out`` (which must not exist or be empty)."""
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty; choose a new directory")
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(SKELETON, out / "micrograd_skeleton", ignore=IGNORED)
    for name in ("README.md", "pytest.ini", "requirements.txt"):
        shutil.copyfile(FILES / name, out / name)
    shutil.copyfile(FILES / "gitignore", out / ".gitignore")
    workflows = out / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "classroom.yml").write_text(workflow())
    leaked = [p for p in out.rglob("*") if p.is_dir() and p.name in HIDDEN]
    if leaked:  # the skeleton's generator must never copy these; refuse rather than publish them
        raise RuntimeError(f"hidden grader files would be published: {leaked}")
    return out


def bundle_members() -> list[Path]:
    """Files of the grader bundle, relative to the repository root."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = sorted({*config["tool"]["setuptools"]["packages"], "deploy"})
    members = [Path("pyproject.toml")]
    if (ROOT / "README.md").is_file():  # pyproject's `readme`: pip install needs it
        members.append(Path("README.md"))
    for package in packages:
        for path in sorted((ROOT / package).rglob("*")):
            relative = path.relative_to(ROOT)
            if path.is_file() and path.suffix != ".pyc" and "__pycache__" not in relative.parts:
                members.append(relative)
    return members


def write_bundle(out: Path) -> Path:
    """Pack the grader into ``out`` (a .tar.gz) for a release of the private autograder repository."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:gz") as archive:
        for relative in bundle_members():
            data = (ROOT / relative).read_bytes()
            info = tarfile.TarInfo(relative.as_posix())
            info.size, info.mode, info.mtime = len(data), 0o644, 0  # reproducible
            archive.addfile(info, io.BytesIO(data))
    return out
