"""``python -m deploy.classroom50 build --out DIR --bundle URL_OR_PATH``: the autograder folders."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.classroom50", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="autograders/<slug>/ for each assignment, and the private bundle")
    build.add_argument("--out", type=Path, default=Path("build/classroom50"))
    build.add_argument("--bundle", default="",
                       help="where runners get the private grader bundle: an https:// URL (a private release "
                            "asset, with a token) or a path on a self-hosted runner (default: a placeholder)")
    build.add_argument("--torch-index", default="https://download.pytorch.org/whl/cpu")
    args = parser.parse_args(argv)
    from deploy.classroom50.build import build as build_folders

    written = build_folders(args.out, bundle_location=args.bundle, torch_index=args.torch_index)
    for line in written:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
