"""The course's release and a student's workspace, without ever overwriting someone's work.

``python tools/course.py release [--force]``
    ``nbgrader generate_assignment`` for every assignment into
    ``assignments/release/``, then ``nbgrader release_assignment`` into the
    course's exchange (``assignments/exchange/``).  nbgrader replaces a release folder whole, so a
    notebook someone edited there (or a file they added) would be lost: each
    release records what it generated (``.micrograd-release.json``: file ->
    sha256), and a folder that no longer matches it is refused, naming the
    files, unless ``--force``.
``python tools/course.py workspace DIR``
    Copy the release into DIR (a student's working copy: ``make student-lab``),
    adding only the files DIR lacks: an edited notebook is kept as it is.
``python tools/course.py student-kernel DIR``
    The student's Python for ``make student-lab``: a virtual environment (``DIR/venv``) holding the
    student wheel with its notebook extra and nothing of the kit (rebuilt when the wheel changes), and
    a ``python3`` kernel spec running it (``DIR/kernels``, first on ``JUPYTER_PATH``), so that the
    notebooks and nbgrader's Validate run there, as in a course's student image.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "assignments"
RELEASE = COURSE / "release"
STAMP = ".micrograd-release.json"
sys.path.insert(0, str(ROOT))

from tools.generate_notebooks import ASSIGNMENTS  # noqa: E402


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_of(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): digest(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != STAMP and ".ipynb_checkpoints" not in p.parts}


def changed(folder: Path) -> list[str]:
    """Files of a release folder that are not as the release left them (edited, added, or no record)."""
    if not folder.exists():
        return []
    now = files_of(folder)
    try:
        recorded = json.loads((folder / STAMP).read_text())
    except (OSError, ValueError):
        return sorted(now) or []
    return sorted(name for name, sha in now.items() if recorded.get(name) != sha)


def release(force: bool = False, course: Path | None = None) -> int:
    course = course or COURSE  # read at call time: a test (or a caller) may point COURSE elsewhere
    releases = course / "release"
    assignments = [a for a in ASSIGNMENTS if (course / "source" / a).is_dir()]  # a course may hold fewer
    blocked = {a: changed(releases / a) for a in assignments}
    blocked = {a: names for a, names in blocked.items() if names}
    if blocked and not force:
        for assignment, names in blocked.items():
            listed = ", ".join(str(releases / assignment / n) for n in names)
            print(f"release: not regenerating {assignment}: {listed} changed since the last release "
                  "(nbgrader would replace the folder and lose the changes). Move them away, or run "
                  "`make release FORCE=1` to discard them.", file=sys.stderr)
        return 1
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    exchange = course / "exchange"  # made here as nbgrader makes it (world-writable), so it need not warn
    if not exchange.is_dir():
        exchange.mkdir()
        exchange.chmod(0o777)
    for assignment in assignments:
        done = subprocess.run(["nbgrader", "generate_assignment", assignment, "--create", "--force",
                               "--log-level=WARN"], cwd=course, env=env)
        if done.returncode != 0:
            return done.returncode
        (releases / assignment / STAMP).write_text(json.dumps(files_of(releases / assignment), indent=1) + "\n")
        # Into the course's exchange too: formgrader then shows it as released, and students on the same
        # machine or JupyterHub can `nbgrader fetch_assignment` it.
        done = subprocess.run(["nbgrader", "release_assignment", assignment, "--force", "--log-level=WARN"],
                              cwd=course, env=env)
        if done.returncode != 0:
            return done.returncode
    print(f"release: {releases}/{{{','.join(assignments)}}}, and into the course's exchange ({exchange})")
    return 0


def workspace(destination: Path) -> int:
    """Copy the release into ``destination``, never replacing a file that is there."""
    if not all((RELEASE / a).is_dir() for a in ASSIGNMENTS):
        status = release()
        if status:
            return status
    added, kept = 0, []
    for assignment in ASSIGNMENTS:
        source = RELEASE / assignment
        for name in files_of(source):
            target = destination / assignment / name
            if target.exists():
                if digest(target) != digest(source / name):
                    kept.append(str(target))
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, target)
            added += 1
    print(f"workspace {destination}: {added} file(s) copied from the release"
          + (f"; kept your version of {', '.join(kept)}" if kept else ""))
    return 0


def student_kernel(folder: Path) -> int:
    """The student wheel in ``folder/venv`` and a ``python3`` kernel spec for it in ``folder/kernels``."""
    from tools import build_student_wheel

    folder = folder.resolve()
    venv, stamp = folder / "venv", folder / "venv" / ".micrograd-wheel"
    python = venv / "bin" / "python"
    # What the wheel is built from (a wheel's own bytes change with its build time).
    contents = hashlib.sha256(build_student_wheel.kit_version().encode())
    for package in build_student_wheel.PACKAGES:
        for name, sha in sorted(files_of(ROOT / package).items()):
            if "__pycache__" in name:
                continue
            contents.update(f"{package}/{name}:{sha}\n".encode())
    if not (python.exists() and stamp.exists() and stamp.read_text() == contents.hexdigest()):
        wheel = build_student_wheel.build(folder / "dist")
        shutil.rmtree(venv, ignore_errors=True)
        base = getattr(sys, "_base_executable", sys.executable)
        steps = [[base, "-m", "venv", str(venv)],
                 [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", f"{wheel}[notebook]"]]
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True)
            if done.returncode != 0:
                print(f"student-kernel: {' '.join(step[:4])} failed:\n{done.stdout}{done.stderr}", file=sys.stderr)
                return done.returncode
        stamp.write_text(contents.hexdigest())
    spec = folder / "kernels" / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (student wheel)", "language": "python"}, indent=1))
    print(f"student-kernel: {python} (the student wheel alone), kernel spec in {spec}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("release", help="regenerate assignments/release/ (refuses to lose edits)")
    one.add_argument("--force", action="store_true", help="discard changes made inside the release")
    one.add_argument("--course", type=Path, default=COURSE)
    two = commands.add_parser("workspace", help="a student's working copy of the release (never overwritten)")
    two.add_argument("destination", type=Path)
    three = commands.add_parser("student-kernel", help="a venv with the student wheel alone, as a python3 kernel")
    three.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    if args.command == "release":
        return release(args.force, args.course.resolve())
    if args.command == "student-kernel":
        return student_kernel(args.folder)
    return workspace(args.destination)


if __name__ == "__main__":
    sys.exit(main())
