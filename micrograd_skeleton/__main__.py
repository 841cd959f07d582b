"""``python -m micrograd_skeleton new DIR``: a fresh skeleton to edit, in ``DIR/micrograd_skeleton/``.

The copy comes from the installed student package (the stubs as released), whichever folder the
command runs in; an existing ``DIR/micrograd_skeleton`` is never overwritten.  Then, in DIR,
``pytest micrograd_skeleton`` runs the public checks on your copy and
``python -m micrograd_skeleton.demo`` trains with it.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "micrograd-kit-student"


def pristine() -> Path:
    """The released skeleton: the installed distribution's copy (not a copy being edited in the current
    folder, which ``python -m`` would find first); this package's own folder when it is not installed."""
    try:
        installed = Path(str(metadata.distribution(DISTRIBUTION).locate_file("micrograd_skeleton")))
    except metadata.PackageNotFoundError:
        installed = None
    return installed if installed is not None and (installed / "engine.py").is_file() else Path(__file__).parent


def new(target: Path) -> Path:
    """Copy the skeleton into ``target/micrograd_skeleton``; FileExistsError if that exists already."""
    destination = target / "micrograd_skeleton"
    if destination.exists() or destination.is_symlink():
        raise FileExistsError(f"{destination} exists already: nothing was changed (your work is safe). "
                              "Choose another folder for a fresh copy.")
    shutil.copytree(pristine(), destination, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return destination


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m micrograd_skeleton",
                                     description="The micrograd skeleton: your engine, network and training.")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("new", help="copy a fresh skeleton into DIR/micrograd_skeleton/ to edit")
    create.add_argument("dir", type=Path, help="the folder to put micrograd_skeleton/ in (made if missing)")
    args = parser.parse_args(argv)
    try:
        made = new(args.dir)
    except FileExistsError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"Your skeleton is in {made}/. Next:\n"
          f"  cd {args.dir}\n"
          "  pytest micrograd_skeleton            # the public checks: what is wrong, and how to fix it\n"
          "  python -m micrograd_skeleton.demo    # trains the moons classifier with your code")
    return 0


if __name__ == "__main__":
    sys.exit(main())
