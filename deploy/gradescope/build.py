"""Build Gradescope's ``autograder.zip`` from this repository.

Layout of the zip (Gradescope extracts it to ``/autograder/source``)::

    setup.sh              installs everything (Gradescope runs it once per image build)
    run_autograder        grades one submission (Gradescope copies it to /autograder/)
    requirements.txt      the grader's Python dependencies, from pyproject.toml, without torch
    torch-requirement.txt the pinned CPU PyTorch, installed first from PyTorch's CPU index
    autograder/ solutions/ micrograd_skeleton/ deploy/   the grader and what it imports

The zip is reproducible: sorted entries, fixed timestamps, fixed modes, so the
same commit builds the same bytes.
"""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
# 1980-01-01, the earliest time a zip can store: the same bytes on every build.
EPOCH = (1980, 1, 1, 0, 0, 0)
EXCLUDED_PARTS = frozenset({"__pycache__", ".pytest_cache", ".hypothesis", ".ipynb_checkpoints"})
DEFAULT_TORCH = "torch==2.13.0"


def packages() -> list[str]:
    """The kit's packages (pyproject's [tool.setuptools] list) plus ``deploy`` for the driver."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    names = list(config["tool"]["setuptools"]["packages"])
    return sorted({*names, "deploy"})


def requirements() -> list[str]:
    """pyproject's dependencies without torch, which setup.sh installs from the CPU index first."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return [d for d in config["project"]["dependencies"] if re.split(r"[<>=!~ \[;]", d, maxsplit=1)[0] != "torch"]


def torch_requirement() -> str:
    """The PyTorch tested here, pinned (without a local tag such as ``+cpu``)."""
    try:
        return "torch==" + importlib.metadata.version("torch").split("+")[0]
    except importlib.metadata.PackageNotFoundError:
        return DEFAULT_TORCH


def _entry(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=EPOCH)
    info.external_attr = (0o100000 | mode) << 16  # a regular file with these permission bits
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def files() -> dict[str, tuple[bytes, int]]:
    """Every entry of the zip: name -> (content, mode)."""
    entries: dict[str, tuple[bytes, int]] = {
        "setup.sh": ((HERE / "setup.sh").read_bytes(), 0o755),
        "run_autograder": ((HERE / "run_autograder").read_bytes(), 0o755),
        "requirements.txt": (("\n".join(requirements()) + "\n").encode(), 0o644),
        "torch-requirement.txt": ((torch_requirement() + "\n").encode(), 0o644),
    }
    for package in packages():
        directory = ROOT / package
        if not directory.is_dir():
            raise FileNotFoundError(f"package {package}/ listed in pyproject.toml is missing")
        for path in sorted(directory.rglob("*")):
            relative = path.relative_to(ROOT)
            if not path.is_file() or path.suffix in {".pyc", ".pyo"} or EXCLUDED_PARTS & set(relative.parts):
                continue
            entries[relative.as_posix()] = (path.read_bytes(), 0o644)
    return entries


def build(out: Path) -> Path:
    """Write the zip to ``out`` and return it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_suffix(out.suffix + ".tmp")
    with zipfile.ZipFile(temporary, "w") as archive:
        for name, (content, mode) in sorted(files().items()):
            archive.writestr(_entry(name, mode), content)
    temporary.replace(out)
    return out
