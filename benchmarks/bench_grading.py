"""Grading speed on this machine: cold single grade, batch throughput, memory, nbgrader side by side.

    python benchmarks/bench_grading.py [--n 200] [--jobs CORES] [--notebooks 4] [--repeat 3] [--batch-repeat 1]

Prints a Markdown table.  Measures:

- cold ``python -m autograder grade`` of one correct submission (wall, best and
  median of ``--repeat`` fresh processes);
- ``grade-batch`` throughput on N submissions (copies of examples/submissions/,
  mixed correct and buggy, each copy made distinct so that it gets its own
  seed), ``--jobs`` = cores, including the batch's own start-up; with
  ``--batch-repeat`` > 1, the median (which the goal is judged on), the worst
  and the best run (a shared virtual machine is noisy);
- peak memory per worker, sampled from /proc during a separate batch of 40
  (sampling costs CPU, so not during the timed one): the forked grading
  processes (trusted side; PSS counts pages shared with the warm parent once)
  and the sandboxed student-side workers;
- ``nbgrader autograde`` on N notebook submissions of the course (assignments/),
  and ``grade-batch`` on the same notebooks, side by side; "pending" when the
  course is not there.

Not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
EXAMPLES = ROOT / "examples" / "submissions"
COURSE = ROOT / "assignments"
MODULES = ("engine", "nn", "train")
GOAL_COLD, GOAL_RATE = 3.0, 10.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200, help="submissions in the batch (default 200)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--notebooks", type=int, default=4, help="notebook submissions for nbgrader (default 4)")
    parser.add_argument("--repeat", type=int, default=3, help="cold single grades (default 3)")
    parser.add_argument("--batch-repeat", type=int, default=1, help="batch runs; the best is reported (default 1)")
    args = parser.parse_args()
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        bases = example_bases(tmp / "bases")
        correct = bases[0][1]

        times = [timed([PYTHON, "-m", "autograder", "grade", str(correct), "--format", "json"])[0]
                 for _ in range(args.repeat)]
        rows.append(("cold `grade`, one correct submission (wall)",
                     f"best {min(times):.2f} s, median {statistics.median(times):.2f} s",
                     verdict(min(times) <= GOAL_COLD, f"<= {GOAL_COLD:g} s")))

        batch_dir = make_batch(tmp / "batch", bases, args.n)

        def grade_batch(folder: Path, out: Path) -> list[str]:
            return [PYTHON, "-m", "autograder", "grade-batch", str(folder), "--out", str(out), "--jobs", str(args.jobs)]

        runs = []  # throughput without the memory sampler: reading /proc every 50 ms costs CPU too
        for run in range(args.batch_repeat):
            out = tmp / f"batch-out-{run}"
            load = os.getloadavg()[0]
            cpu_before = children_cpu()
            seconds, done = timed(grade_batch(batch_dir, out))
            graded = len(list(out.glob("*/result.json")))
            runs.append((graded / seconds, seconds, graded, load, children_cpu() - cpu_before, done))
        rates = sorted(r[0] for r in runs)
        median = statistics.median(rates)
        rate, seconds, graded, load, cpu, done = max(runs, key=lambda r: r[0])
        spread = (f"median of {len(runs)} runs {median:.1f}/s, worst {rates[0]:.1f}/s; best " if len(runs) > 1 else "")
        rows.append((f"`grade-batch`, N = {args.n} ({len(bases)} kinds, mixed), --jobs {args.jobs}",
                     f"{spread}{rate:.1f} submissions/s, {seconds:.1f} s ({graded} graded; load average "
                     f"{load:.1f} at the start)", verdict(median >= GOAL_RATE, f">= {GOAL_RATE:g}/s")))
        per = cpu / max(graded, 1)
        rows.append(("CPU time per submission in the batch (grading processes; sandbox time not "
                     "always accounted)", f"{per:.2f} s, i.e. at most {args.jobs / per:.1f}/s on "
                     f"{args.jobs} idle cores", ""))
        if done.returncode != 0:
            rows.append(("batch exit status", str(done.returncode), done.stderr[-300:].replace("\n", " ")))

        sampler = MemorySampler()  # memory: a separate, shorter batch, sampled
        memory_dir = make_batch(tmp / "memory", bases, min(args.n, 40))
        timed(grade_batch(memory_dir, tmp / "memory-out"), sampler=sampler)
        rows.append(("peak memory per grading process (trusted, forked)",
                     f"PSS {mib(sampler.peak['grader_pss'])}, RSS {mib(sampler.peak['grader_rss'])}", ""))
        rows.append(("peak memory per sandboxed worker (student code)",
                     f"RSS {mib(sampler.peak['worker_rss'])}", ""))
        rows.append(("peak memory of the batch parent (warm: pytest, checks, torch)",
                     f"RSS {mib(sampler.peak['parent_rss'])}", ""))

        rows += nbgrader_rows(tmp / "course", args.notebooks, args.jobs)
    print_table(rows)
    return 0


# ----------------------------------------------------------------------------
def example_bases(folder: Path) -> list[tuple[str, Path]]:
    """The example submissions (or, until they exist, the reference, the skeleton and two mutants)."""
    bases = []
    if EXAMPLES.is_dir():
        bases = [(p.name, p) for p in sorted(EXAMPLES.iterdir()) if p.is_dir()]
        bases.sort(key=lambda b: b[0] != "correct")
    if bases:
        return bases
    folder.mkdir(parents=True)
    variants = {
        "correct": ("solutions", None),
        "skeleton": ("micrograd_skeleton", None),
        "mul_bug": ("solutions", ("self.grad += other.data * out.grad", "self.grad += self.data * out.grad")),
    }
    for name, (package, change) in variants.items():
        target = folder / name
        target.mkdir()
        for module in MODULES:
            text = (ROOT / package / f"{module}.py").read_text()
            if change and change[0] in text:
                text = text.replace(*change, 1)
            (target / f"{module}.py").write_text(text)
        bases.append((name, target))
    return bases


def make_batch(folder: Path, bases: list[tuple[str, Path]], n: int) -> Path:
    """``n`` copies of the bases, round robin, each with a distinguishing comment (its own seed)."""
    folder.mkdir(parents=True)
    for i in range(n):
        name, base = bases[i % len(bases)]
        target = folder / f"{i:04d}_{name}"
        shutil.copytree(base, target)
        for source in target.rglob("engine.py"):
            with source.open("a") as f:
                f.write(f"\n# submission {i}\n")
    return folder


def timed(argv: list[str], cwd: Path = ROOT, sampler: MemorySampler | None = None,
          env: dict | None = None) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env)
    if sampler:
        sampler.start(process.pid)
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    if sampler:
        sampler.stop()
    return seconds, subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)


class MemorySampler:
    """Peak memory of the batch's processes, from /proc every 50 ms."""

    def __init__(self):
        self.peak = {"grader_pss": 0, "grader_rss": 0, "worker_rss": 0, "parent_rss": 0}
        self._stop = threading.Event()

    def start(self, parent: int) -> None:
        self.parent = parent
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            for proc in Path("/proc").iterdir():
                if proc.name.isdigit():
                    self._sample(int(proc.name))
            time.sleep(0.05)

    def _sample(self, pid: int) -> None:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        rss = int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
        ppid = int(fields.get("PPid", "0").split()[0])
        if pid == self.parent:
            self._max("parent_rss", rss)
        elif ppid == self.parent:
            self._max("grader_rss", rss)
            try:
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
                pss = next(int(l.split()[1]) for l in rollup.splitlines() if l.startswith("Pss:")) * 1024
                self._max("grader_pss", pss)
            except (OSError, StopIteration, ValueError):
                pass
        elif b"runtime/worker.py" in cmdline and b"micrograd-grade-" in cmdline:
            self._max("worker_rss", rss)

    def _max(self, key: str, value: int) -> None:
        self.peak[key] = max(self.peak[key], value)


# ----------------------------------------------------------------------------
def nbgrader_rows(course: Path, n: int, jobs: int) -> list[tuple[str, str, str]]:
    label = f"`nbgrader autograde`, N = {n} notebook submissions"
    nbgrader = Path(PYTHON).parent / "nbgrader"
    sources = sorted(COURSE.glob("source/*/*.ipynb")) if COURSE.is_dir() else []
    if not sources or not nbgrader.exists() or not (COURSE / "nbgrader_config.py").is_file():
        return [(label, "pending (the nbgrader course in assignments/ is not there yet)", "")]
    shutil.copytree(COURSE, course, ignore=shutil.ignore_patterns("submitted", "autograded", "feedback",
                                                                     "gradebook.db", "grades.csv"))
    env = {**os.environ, "PATH": f"{nbgrader.parent}:{os.environ.get('PATH', '')}"}
    assignments = sorted({s.parent.name for s in sources})
    for assignment in assignments:
        done = subprocess.run([str(nbgrader), "generate_assignment", assignment, "--create", "--force",
                               "--log-level=ERROR"], cwd=course, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            return [(label, "failed to prepare: " + done.stderr[-200:].replace("\n", " "), "")]
    ours = course.parent / "ours"
    for i in range(n):
        student = f"student{i:03d}"
        for source in sources:
            target = course / "submitted" / student / source.parent.name / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
            mine = ours / student / source.name
            mine.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, mine)
    started = time.perf_counter()
    failed = []
    for assignment in assignments:
        done = subprocess.run([str(nbgrader), "autograde", assignment, "--log-level=ERROR"], cwd=course,
                              capture_output=True, text=True, env=env)
        if done.returncode != 0:
            failed.append(done.stderr[-200:].replace("\n", " "))
    seconds = time.perf_counter() - started
    rows = [(label + f" ({len(assignments)} notebooks each)",
             f"{seconds:.1f} s, {n / seconds:.2f} submissions/s"
             + (" (errors: " + "; ".join(failed) + ")" if failed else ""),
             "")]
    ours_seconds, done = timed([PYTHON, "-m", "autograder", "grade-batch", str(ours), "--out",
                                str(course.parent / "ours-out"), "--jobs", str(jobs)])
    graded = len(list((course.parent / "ours-out").glob("*/result.json")))
    rows.append((f"`grade-batch` on the same {n} notebook submissions, --jobs {jobs}",
                 f"{ours_seconds:.1f} s, {graded / ours_seconds:.2f} submissions/s ({graded} graded)", ""))
    return rows


# ----------------------------------------------------------------------------
def children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def verdict(ok: bool, goal: str) -> str:
    return f"goal {goal}: {'met' if ok else 'NOT met'}"


def mib(n: int) -> str:
    return f"{n / (1 << 20):.0f} MiB" if n else "n/a"


def print_table(rows: list[tuple[str, str, str]]) -> None:
    print(f"\nGrading benchmark ({os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"load average now {os.getloadavg()[0]:.1f})\n")
    print("| Measure | Result | Goal |")
    print("|---|---|---|")
    for what, result, goal in rows:
        print(f"| {what} | {result} | {goal} |")


if __name__ == "__main__":
    sys.exit(main())
