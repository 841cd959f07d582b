"""This checkout against a baseline commit, side by side, in the same run:
``python benchmarks/bench_compare.py BASE [--n 120] [--rounds 3] [--jobs 2] [--cold 3] [--no-dask]``.

Builds the bench's mixed class (``bench_grading.class_bases``, copies made distinct), checks out
BASE in a git worktree (run with this venv, under the same grader secret), then for ``--rounds``
rounds grades the class with each, alternating which goes first, times ``--cold`` cold
``grade`` runs of one correct submission with each, and grades the class on the Dask backend
(a LocalCluster of ``--jobs`` workers) with each.  CPU is counted over every process a grading
starts, sandboxed ones included (``cpu_tree.py``: a child subreaper that reaps the whole tree).
Prints a Markdown table of medians, BASE beside this checkout, with the ratio, the machine's load
before and after, and whether every result (``execution_time`` aside) is the same.

Not a test: figures depend on the machine and its load; only ratios from one run compare.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
SECRET = "bench-compare-" + "0" * 32
FAILURES: list[str] = []  # runs in which the grader failed on a submission (said under the table)


def measured(checkout: Path, argv: list[str], work: Path) -> dict:
    """``python -m autograder ARGV`` from ``checkout``: wall and the CPU of its whole process tree."""
    report = work / f"cpu-{os.getpid()}-{len(list(work.glob('cpu-*')))}.json"
    env = dict(os.environ, MICROGRAD_GRADER_SECRET=SECRET, PYTHONPATH=str(checkout))
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "cpu_tree.py"), str(report), "--",
                           sys.executable, "-m", "autograder", *argv], cwd=checkout, env=env, capture_output=True,
                          text=True)
    figures = json.loads(report.read_text())
    if figures["returncode"] not in (0, 1):  # 1: a batch graded, but the grader failed on some submission
        raise SystemExit(f"{checkout}: {' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    if figures["returncode"] == 1:
        FAILURES.append(f"{revision(checkout)}: {' '.join(argv)}: "
                        + " ".join(done.stderr.strip().splitlines()[-1:])[:300])
    return figures


def sameness(one: dict[str, dict], other: dict[str, dict]) -> str:
    """How many of two batches' results (name -> result) are identical, and which differ or are missing."""
    names = set(one) | set(other)
    differ = sorted(n for n in names if one.get(n) != other.get(n))
    return f"{len(names) - len(differ)} of {len(names)} identical" + (f"; differ: {', '.join(differ[:20])}"
                                                                       if differ else "")


def revision(checkout: Path) -> str:
    sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=checkout, capture_output=True,
                         text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=checkout,
                           capture_output=True, text=True).stdout.strip()
    return sha + (" + changes" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the baseline commit")
    parser.add_argument("--n", type=int, default=120, help="submissions in the mixed class (default 120)")
    parser.add_argument("--rounds", type=int, default=3, help="batches per checkout, alternating (default 3)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--cold", type=int, default=3, help="cold grades per checkout and round (default 3)")
    parser.add_argument("--no-dask", dest="dask", action="store_false",
                        help="leave out the Dask backend (a LocalCluster of --jobs workers)")
    args = parser.parse_args(argv)
    from bench_grading import class_bases, make_batch
    from compare_results import results

    work = Path(tempfile.mkdtemp(prefix="bench-compare-"))
    baseline = work / "baseline"
    subprocess.run(["git", "worktree", "add", "--detach", str(baseline), args.base], cwd=ROOT, check=True,
                   capture_output=True)
    try:
        bases = class_bases(work / "bases")
        correct = bases[0][1]
        batch = make_batch(work / "class", bases, args.n)
        sides = {"base": baseline, "this": ROOT}
        runs: dict[str, list[dict]] = {side: [] for side in sides}
        cold: dict[str, list[dict]] = {side: [] for side in sides}
        dask: dict[str, list[dict]] = {side: [] for side in sides}
        if args.dask and importlib.util.find_spec("distributed") is None:
            print("Dask left out: dask.distributed is not installed", file=sys.stderr)
            args.dask = False
        load_before = os.getloadavg()
        for round_ in range(args.rounds):
            order = list(sides) if round_ % 2 == 0 else list(reversed(sides))
            for side in order:
                out = work / f"out-{side}-{round_}"
                runs[side].append(measured(sides[side], ["grade-batch", str(batch), "--out", str(out),
                                                         "--jobs", str(args.jobs)], work))
                for _ in range(args.cold):
                    cold[side].append(measured(sides[side], ["grade", str(correct), "--format", "json"], work))
                if args.dask:
                    dask[side].append(measured(sides[side], ["grade-batch", str(batch), "--out",
                                                             str(work / f"dask-{side}-{round_}"), "--scheduler",
                                                             f"local:{args.jobs}"], work))
        load_after = os.getloadavg()
        last = args.rounds - 1
        before, after = results(work / f"out-base-{last}"), results(work / f"out-this-{last}")

        def median(values: list[dict], key: str) -> float:
            return statistics.median(v[key] for v in values)

        rows = [
            (f"`grade-batch --jobs {args.jobs}`: submissions per second",
             *(args.n / median(runs[s], "wall") for s in sides), "{:.2f}/s"),
            ("`grade-batch`: CPU per submission, every process", *(median(runs[s], "cpu") / args.n for s in sides),
             "{:.3f} s"),
            ("cold `grade`, one correct submission: wall", *(median(cold[s], "wall") for s in sides), "{:.2f} s"),
            ("cold `grade`: CPU, every process", *(median(cold[s], "cpu") for s in sides), "{:.2f} s"),
        ]
        if args.dask:
            rows += [
                (f"Dask, a LocalCluster of {args.jobs} workers: submissions per second",
                 *(args.n / median(dask[s], "wall") for s in sides), "{:.2f}/s"),
                ("Dask: CPU per submission, every process", *(median(dask[s], "cpu") / args.n for s in sides),
                 "{:.3f} s"),
                ("Dask's throughput, as a share of `grade-batch`'s",
                 *(median(runs[s], "wall") / median(dask[s], "wall") for s in sides), "{:.0%}"),
            ]
        def load(figures: tuple[float, float, float]) -> str:
            return ", ".join(f"{x:.2f}" for x in figures)

        print(f"\nMixed class of {args.n} ({len(bases)} kinds), {args.rounds} alternating rounds, "
              f"{args.cold * args.rounds} cold grades each; medians. Load average (1, 5, 15 min): "
              f"before {load(load_before)}, after {load(load_after)}.\n")
        print(f"| measure | baseline {revision(baseline)} | this checkout {revision(ROOT)} | this / baseline |")
        print("|---|---|---|---|")
        for name, base, this, fmt in rows:
            print(f"| {name} | {fmt.format(base)} | {fmt.format(this)} | {this / base:.2f}× |")
        print(f"\nResults (execution_time aside): {sameness(before, after)}.")
        for failure in FAILURES:
            print(f"The grader failed on a submission: {failure}")
        if args.dask:
            print(f"Dask against `grade-batch`, this checkout: {sameness(after, results(work / f'dask-this-{last}'))}.")
        return 0
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(baseline)], cwd=ROOT, capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
