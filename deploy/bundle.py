"""The hidden grader as one file a platform can fetch, verify and install.

``micrograd-grader-<version>.tar.gz`` holds the kit's packages (the grader,
the reference it grades nn.py and train.py with, the public checks) and a
``pyproject.toml`` asking for what grading needs and nothing else (no
nbgrader, no JupyterLab).  It is reproducible (sorted entries, fixed times and
modes), so its sha256 identifies it: the GitHub Actions workflow and the
Classroom 50 autograder pin that digest and refuse any other bytes.

    python -m deploy.bundle --out build/   # prints the file and its sha256

It holds the reference solution: keep it private (a private repository's
release asset, fetched with a read-only token).  docs/classroom.md.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.metadata
import io
import re
import sys
import tarfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXCLUDED_PARTS = frozenset({"__pycache__", ".pytest_cache", ".hypothesis", ".ipynb_checkpoints"})
DEFAULT_TORCH = "torch==2.13.0"
MTIME = 315532800  # 1980-01-01: the same bytes on every build


def config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def version() -> str:
    return str(config()["project"]["version"])


def packages() -> list[str]:
    """The kit's packages (pyproject's [tool.setuptools] list) plus ``deploy`` for the platform drivers."""
    return sorted({*config()["tool"]["setuptools"]["packages"], "deploy"})


def requirements() -> list[str]:
    """What grading needs (pyproject's dependencies) without torch, which is installed first, pinned."""
    return [d for d in config()["project"]["dependencies"] if re.split(r"[<>=!~ \[;]", d, maxsplit=1)[0] != "torch"]


def torch_requirement() -> str:
    """The PyTorch tested here, pinned (without a local tag such as ``+cpu``)."""
    try:
        return "torch==" + importlib.metadata.version("torch").split("+")[0]
    except importlib.metadata.PackageNotFoundError:
        return DEFAULT_TORCH


def package_files() -> dict[str, bytes]:
    """Every file of the kit's packages: relative path -> content."""
    entries = {}
    for package in packages():
        directory = ROOT / package
        if not directory.is_dir():
            raise FileNotFoundError(f"package {package}/ listed in pyproject.toml is missing")
        for path in sorted(directory.rglob("*")):
            relative = path.relative_to(ROOT)
            if not path.is_file() or path.suffix in {".pyc", ".pyo"} or EXCLUDED_PARTS & set(relative.parts):
                continue
            entries[relative.as_posix()] = path.read_bytes()
    return entries


def pyproject() -> str:
    """The bundle's own pyproject: the grader and its grading dependencies only."""
    dependencies = ",\n    ".join(f'"{d}"' for d in ["torch>=2.1", *requirements()])
    names = ", ".join(f'"{p}*"' for p in packages())
    return (
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "micrograd-kit-grader"\nversion = "{version()}"\nrequires-python = ">=3.11"\n'
        f"dependencies = [\n    {dependencies},\n]\n\n"
        '[project.scripts]\nmicrograd-grade = "autograder.__main__:run"\n\n'
        f"[tool.setuptools.packages.find]\ninclude = [{names}]\n\n"
        '[tool.setuptools.package-data]\n"*" = ["*.toml", "*.txt", "*.json", "*.j2", "*.ini", "*.md"]\n'
    )


def files() -> dict[str, bytes]:
    top = f"micrograd-grader-{version()}"
    entries = {f"{top}/{name}": content for name, content in package_files().items()}
    entries[f"{top}/pyproject.toml"] = pyproject().encode()
    entries[f"{top}/torch-requirement.txt"] = (torch_requirement() + "\n").encode()
    return entries


def build(out: Path) -> tuple[Path, str]:
    """Write the tarball into folder ``out``; return its path and sha256."""
    out.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, content in sorted(files().items()):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode, info.uname, info.gname = len(content), MTIME, 0o644, "", ""
            archive.addfile(info, io.BytesIO(content))
    data = gzip.compress(buffer.getvalue(), mtime=0)
    path = out / f"micrograd-grader-{version()}.tar.gz"
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build", help="folder for the tarball (default build/)")
    args = parser.parse_args(argv)
    path, digest = build(args.out)
    print(f"{path}\nsha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
