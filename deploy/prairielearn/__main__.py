"""``python -m deploy.prairielearn build --out DIR [--assignment NAME]`` | ``run --root /grade``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["run"]:
        from deploy.prairielearn.run import main as run_main

        return run_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m deploy.prairielearn")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="the grading image recipe and the course files")
    build.add_argument("--out", type=Path, default=Path("build/prairielearn"))
    commands.add_parser("run", help="grade /grade/student (inside the grading container)")
    args = parser.parse_args(argv)
    from deploy.prairielearn.build import build as build_course

    out = build_course(args.out)
    print(f"wrote {out}: build and push image/ (public), copy course/ into your course repository "
          "(docs/prairielearn.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
