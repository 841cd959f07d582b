"""``python -m deploy.github template --out DIR --sha256 HEX``: the student template repository."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.github", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    template = commands.add_parser("template", help="write the student template repository")
    template.add_argument("--out", type=Path, default=Path("build/github-template"))
    template.add_argument("--sha256", help="the grader bundle's sha256 (default: build the bundle now)")
    template.add_argument("--assignment", help="grade one assignment of the rubric only")
    template.add_argument("--torch-index", default="https://download.pytorch.org/whl/cpu")
    args = parser.parse_args(argv)
    from deploy.github.template import write_template

    sha256 = args.sha256
    if not sha256:
        from deploy import bundle

        path, sha256 = bundle.build(args.out.parent / "private")
        print(f"built {path} (sha256 {sha256}): upload it as a release asset of a PRIVATE repository")
    out = write_template(args.out, sha256, assignment=args.assignment, torch_index=args.torch_index)
    print(f"wrote the student template to {out}: push it as a template repository (docs/classroom.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
