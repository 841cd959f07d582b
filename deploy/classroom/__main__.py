"""``python -m deploy.classroom template --out DIR`` | ``bundle --out FILE`` | ``summary RESULT``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def summary(report: dict[str, Any]) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: points per part, then what went wrong."""
    total = sum(t["score"] for t in report["tests"])
    lines = [
        f"## micrograd autograder: {total:g} / {report['max_score']:g} points",
        "",
        "| | part | points |",
        "|---|---|---|",
    ]
    for test in report["tests"]:
        mark = "✅" if test["status"] == "pass" else "❌"
        name, _, points = test["name"].rpartition(" (")
        lines.append(f"| {mark} | {name} | {points.rstrip(')')} |")
    failed = [t for t in report["tests"] if t["status"] != "pass" and t.get("message")]
    if failed:
        lines += ["", "### What to fix", ""]
        for test in failed:
            lines += [f"**{test['name']}**", "", "```", test["message"], "```", ""]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.classroom")
    commands = parser.add_subparsers(dest="command", required=True)
    template = commands.add_parser("template", help="write the student template repository")
    template.add_argument("--out", type=Path, default=Path("build/classroom-template"))
    bundle = commands.add_parser("bundle", help="pack the hidden grader for a release asset")
    bundle.add_argument("--out", type=Path, default=Path("build/micrograd-grader.tar.gz"))
    show = commands.add_parser("summary", help="Markdown summary of a reporter result (classroom.json)")
    show.add_argument("result", type=Path)
    args = parser.parse_args(argv)

    from deploy.classroom import template as t

    if args.command == "template":
        out = t.write_template(args.out)
        print(f"wrote the student template to {out}: push it as a template repository (docs/classroom.md)")
    elif args.command == "bundle":
        out = t.write_bundle(args.out)
        print(f"wrote {out}: attach it to a release of the private autograder repository (docs/classroom.md)")
    else:
        sys.stdout.write(summary(json.loads(args.result.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
