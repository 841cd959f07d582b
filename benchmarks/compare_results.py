"""Are the results the same as a baseline commit's?  ``python benchmarks/compare_results.py BASE``.

Builds the bench's mixed class (``bench_grading.class_bases``: the examples, every engine mutant,
the correct alternatives, the learners' engines, the nn/train variants and notebook submissions),
grades it with this checkout and with BASE (a git worktree of it, run with this venv) under the
same grader secret, and compares every ``result.json`` field by field, ``execution_time`` aside.
Prints each difference; the exit status is the number of submissions that differ (0: identical).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
SECRET = "compare-results-" + "0" * 32


def grade(checkout: Path, batch: Path, out: Path) -> None:
    env = dict(os.environ, MICROGRAD_GRADER_SECRET=SECRET)
    subprocess.run([sys.executable, "-m", "autograder", "grade-batch", str(batch), "--out", str(out), "--force"],
                   cwd=checkout, env=env, check=True, capture_output=True)


def results(out: Path) -> dict[str, dict]:
    found = {}
    for path in sorted(out.glob("*/result.json")):
        data = json.loads(path.read_text())
        data.pop("execution_time", None)
        found[path.parent.name] = data
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the baseline commit (e.g. the previous main)")
    parser.add_argument("--keep", type=Path, help="keep the class and both outputs here")
    args = parser.parse_args(argv)
    from bench_grading import class_bases

    work = args.keep or Path(tempfile.mkdtemp(prefix="compare-results-"))
    baseline = work / "baseline"
    subprocess.run(["git", "worktree", "add", "--detach", str(baseline), args.base], cwd=ROOT, check=True,
                   capture_output=True)
    try:
        batch = work / "class"
        bases = class_bases(work / "bases")
        batch.mkdir()
        for name, folder in bases:
            subprocess.run(["cp", "-r", str(folder), str(batch / name)], check=True)
        grade(baseline, batch, work / "out-base")
        grade(ROOT, batch, work / "out-head")
        before, after = results(work / "out-base"), results(work / "out-head")
        differ = 0
        for name in sorted(set(before) | set(after)):
            if before.get(name) != after.get(name):
                differ += 1
                print(f"{name}: differs")
                old, new = before.get(name) or {}, after.get(name) or {}
                for key in sorted(set(old) | set(new)):
                    if old.get(key) != new.get(key):
                        print(f"  {key}: {json.dumps(old.get(key))[:300]}\n     -> {json.dumps(new.get(key))[:300]}")
        print(f"{len(after)} submissions; {differ} differ from {args.base}")
        return differ
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(baseline)], cwd=ROOT, capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
