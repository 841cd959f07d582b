"""``python -m deploy.gradescope build --out build/autograder.zip`` | ``run --root /autograder``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["run"]:
        # Imported here so that `build` works without the grader's dependencies.
        from deploy.gradescope.run import main as run_main

        return run_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m deploy.gradescope")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build Gradescope's autograder.zip")
    build.add_argument("--out", type=Path, default=Path("build/autograder.zip"))
    build.add_argument("--assignment", help="grade one assignment of the rubric only (value_engine, neural_net)")
    commands.add_parser("run", help="grade /autograder/submission (inside Gradescope's container)")
    args = parser.parse_args(argv)
    from deploy.gradescope.build import build as build_zip
    from deploy.gradescope.build import files

    out = build_zip(args.out, args.assignment)
    print(f"wrote {out} ({out.stat().st_size // 1024} kB, {len(files(args.assignment))} files): upload it as the "
          "assignment's autograder (docs/gradescope.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
