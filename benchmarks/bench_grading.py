"""Grading speed on this machine: cold single grade, batch throughput, memory, nbgrader side by side.

    python benchmarks/bench_grading.py [--n 200] [--jobs CORES] [--notebooks 4] [--repeat 3] [--batch-repeat 1]

Prints a Markdown table.  Measures:

- cold ``python -m autograder grade`` of one correct submission (wall, best and
  median of ``--repeat`` fresh processes);
- ``grade-batch`` throughput on a realistic mixed class of N submissions
  (round robin over the example submissions, every engine mutant of the test
  suite, the correct alternatives, the learners' engines, the nn/train
  variants and notebook submissions: solution, untouched, bugs; each copy made
  distinct so that it gets its own seed), ``--jobs`` = cores, including the
  batch's own start-up; with ``--batch-repeat`` > 1, the median (which the
  goal is judged on), the worst and the best run (a shared virtual machine is
  noisy);
- the same class on a Dask ``LocalCluster`` of ``--jobs`` workers
  (``--scheduler local:N``), its throughput against ``grade-batch``'s, and
  whether every result is the same;
- peak memory per worker, sampled from /proc during a separate batch of 40
  (sampling costs CPU, so not during the timed one): the forked grading
  processes (trusted side; PSS counts pages shared with the warm parent once)
  and the sandboxed student-side workers;
- ``nbgrader autograde`` on N value_engine notebook submissions of the course
  (assignments/; solutions, untouched releases and bugs), and the kit's
  ``nbgrader-autograde`` on the same notebooks in a second copy of the course,
  side by side, with whether every check cell got the same score.

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
GOAL_COLD, GOAL_RATE = 1.5, 10.0  # the kit's goals: a cold grade in 1.5 s, a mixed class at 10/s on 2 cores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200, help="submissions in the batch (default 200)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--notebooks", type=int, default=20, help="notebook submissions for nbgrader (default 20)")
    parser.add_argument("--n-dask", type=int, default=None, help="submissions on the Dask cluster (default: N)")
    parser.add_argument("--repeat", type=int, default=3, help="cold single grades (default 3)")
    parser.add_argument("--batch-repeat", type=int, default=1, help="batch runs; the best is reported (default 1)")
    args = parser.parse_args()
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        bases = class_bases(tmp / "bases")
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
        rows.append((f"`grade-batch`, a mixed class of N = {args.n} ({len(bases)} kinds), --jobs {args.jobs}",
                     f"{spread}{rate:.1f} submissions/s, {seconds:.1f} s ({graded} graded; load average "
                     f"{load:.1f} at the start)", verdict(median >= GOAL_RATE, f">= {GOAL_RATE:g}/s")))
        per = cpu / max(graded, 1)
        rows.append(("CPU time per submission in the batch (grading processes; sandbox time not "
                     "always accounted)", f"{per:.2f} s, i.e. at most {args.jobs / per:.1f}/s on "
                     f"{args.jobs} idle cores", ""))
        if done.returncode != 0:
            rows.append(("batch exit status", str(done.returncode), done.stderr[-300:].replace("\n", " ")))

        rows += dask_rows(tmp, batch_dir, tmp / "batch-out-0", args.jobs, median)

        sampler = MemorySampler()  # memory: a separate, shorter batch, sampled
        memory_dir = make_batch(tmp / "memory", bases, min(args.n, 40))
        timed(grade_batch(memory_dir, tmp / "memory-out"), sampler=sampler)
        rows.append(("peak memory per grading process (trusted, forked)",
                     f"PSS {mib(sampler.peak['grader_pss'])}, RSS {mib(sampler.peak['grader_rss'])}", ""))
        rows.append(("peak memory per sandboxed worker (student code)",
                     f"RSS {mib(sampler.peak['worker_rss'])}", ""))
        rows.append(("peak memory of the batch parent (warm: pytest, checks, torch)",
                     f"RSS {mib(sampler.peak['parent_rss'])}", ""))

        if args.notebooks:
            rows += nbgrader_rows(tmp / "course", args.notebooks, args.jobs)
    print_table(rows)
    return 0


# ----------------------------------------------------------------------------
def class_bases(folder: Path) -> list[tuple[str, Path]]:
    """What a class hands in: the examples, every engine mutant, the correct alternatives, the learners'
    engines and the nn/train variants of the test suite (each with the reference's other modules), and
    notebook submissions (solution, untouched, a relu bug).  The correct example comes first."""
    import importlib.util

    bases = [(p.name, p) for p in sorted(EXAMPLES.iterdir()) if p.is_dir()]
    bases.sort(key=lambda b: b[0] != "correct")
    reference = {m: (ROOT / "solutions" / f"{m}.py").read_text() for m in MODULES}

    def add(name: str, files: dict[str, str]) -> None:
        target = folder / name
        target.mkdir(parents=True)
        for module in MODULES:
            (target / f"{module}.py").write_text(files.get(module, reference[module]))
        bases.append((name, target))

    data = ROOT / "tests" / "submissions"
    spec = importlib.util.spec_from_file_location("engine_mutants", data / "engine" / "mutants.py")
    assert spec and spec.loader
    mutants = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mutants
    spec.loader.exec_module(mutants)
    for mutant in mutants.MUTANTS:
        engine = reference["engine"]
        for old, new in mutant.patches:
            engine = engine.replace(old, new)
        add(f"mutant_{mutant.name}", {"engine": engine})
    for kind in ("alternatives", "learners"):
        for path in sorted((data / "engine" / kind).glob("*.py")):
            add(f"{kind}_{path.stem}", {"engine": path.read_text()})
    for variant in sorted((data / "nn_train").iterdir()):
        add(f"nn_train_{variant.name}", {p.stem: p.read_text() for p in variant.glob("*.py")})
    for name, notebook in notebook_variants().items():
        target = folder / f"notebook_{name}"
        target.mkdir(parents=True)
        (target / "value_engine.ipynb").write_text(notebook)
        bases.append((target.name, target))
    return bases


def notebook_variants() -> dict[str, str]:
    """value_engine notebooks as students hand them in: the solution, the release untouched, bugs."""
    import nbformat
    from nbgrader.preprocessors import ClearSolutions

    source = nbformat.read(COURSE / "source" / "value_engine" / "value_engine.ipynb", as_version=4)

    def edited(old: str, new: str, after: str = "") -> str:
        """The solution with the first ``old`` (after ``after``, if given) in a code cell replaced by ``new``."""
        notebook = nbformat.from_dict(source)
        for cell in notebook.cells:
            start = cell.source.find(after) if after else 0
            at = cell.source.find(old, max(start, 0)) if start >= 0 else -1
            if at >= 0:
                cell.source = cell.source[:at] + new + cell.source[at + len(old):]
                break
        return nbformat.writes(notebook)

    untouched, _ = ClearSolutions().preprocess(nbformat.from_dict(source), {})  # as generate_assignment does
    return {
        "solution": nbformat.writes(source),
        "untouched": nbformat.writes(untouched),
        "relu_bug": edited("out._backward = _backward", "out.backward = _backward", after="def relu("),
        "mul_no_chain": edited("self.grad += other.data * out.grad", "self.grad += other.data"),
    }


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
        for notebook in target.rglob("*.ipynb"):  # a distinct notebook: a comment in its last code cell
            import json

            data = json.loads(notebook.read_text())
            last = next(c for c in reversed(data["cells"]) if c["cell_type"] == "code")
            last["source"] = "".join(last["source"]) + f"\n# submission {i}\n"
            notebook.write_text(json.dumps(data))
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
    """``nbgrader autograde`` and the kit's ``nbgrader-autograde`` on the same N value_engine notebooks."""
    nbgrader = Path(PYTHON).parent / "nbgrader"
    env = {**os.environ, "PATH": f"{nbgrader.parent}:{os.environ.get('PATH', '')}"}
    variants = list(notebook_variants().items())
    courses = {"plain": course / "plain", "kit": course / "kit"}
    for root in courses.values():
        root.mkdir(parents=True)
        shutil.copy(COURSE / "nbgrader_config.py", root)
        shutil.copytree(COURSE / "source", root / "source")
        done = subprocess.run([str(nbgrader), "generate_assignment", "value_engine", "--create", "--force",
                               "--log-level=ERROR"], cwd=root, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            return [("nbgrader", "failed to prepare: " + done.stderr[-200:].replace("\n", " "), "")]
        for i in range(n):
            name, text = variants[i % len(variants)]
            target = root / "submitted" / f"s{i:03d}_{name}" / "value_engine" / "value_engine.ipynb"
            target.parent.mkdir(parents=True)
            target.write_text(text)
    plain_seconds, plain = timed([str(nbgrader), "autograde", "value_engine", "--log-level=ERROR"],
                                 cwd=courses["plain"], env=env)
    kit_seconds, kit = timed([PYTHON, "-m", "autograder", "nbgrader-autograde", "value_engine", "--course",
                              str(courses["kit"]), "--jobs", str(jobs)], env=env)
    same = gradebook_scores(courses["plain"]) == gradebook_scores(courses["kit"])
    errors = "; ".join(f"{name} exit {done.returncode}" for name, done in (("nbgrader", plain), ("kit", kit))
                       if done.returncode != 0)
    speedup = plain_seconds / kit_seconds
    return [
        (f"`nbgrader autograde`, {n} value_engine notebooks (kernels, one after another)",
         f"{plain_seconds:.1f} s, {n / plain_seconds:.2f} notebooks/s", ""),
        (f"`nbgrader-autograde` (the kit's path into the same gradebook), the same {n}, --jobs {jobs}",
         f"{kit_seconds:.1f} s, {n / kit_seconds:.2f} notebooks/s: {speedup:.0f}x; every check cell's score "
         f"{'the same' if same else 'DIFFERENT'}" + (f" ({errors})" if errors else ""),
         verdict(speedup >= 20 and same, ">= 20x, identical scores")),
    ]


def gradebook_scores(course: Path) -> dict[tuple[str, str], float]:
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for submission in gb.assignment_submissions("value_engine"):
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    scores[(submission.student.id, grade.name)] = grade.score
    return scores


def dask_rows(tmp: Path, batch: Path, local_out: Path, jobs: int, local_rate: float) -> list[tuple[str, str, str]]:
    """The same class on a Dask LocalCluster of ``jobs`` workers: throughput, and every result the same."""
    import json

    try:
        import distributed  # noqa: F401
    except ImportError:
        return [("Dask backend", "not measured: dask.distributed is not installed", "")]
    out = tmp / "dask-out"
    cpu_before = children_cpu()
    seconds, done = timed([PYTHON, "-m", "autograder", "grade-batch", str(batch), "--out", str(out),
                           "--scheduler", f"local:{jobs}"])
    cpu = children_cpu() - cpu_before
    graded = sorted(out.glob("*/result.json"))

    def plain(path: Path) -> dict:
        result = json.loads(path.read_text())
        result.pop("execution_time", None)
        return result

    same = all(plain(p) == plain(local_out / p.parent.name / "result.json") for p in graded)
    rate = len(graded) / seconds
    return [(f"Dask backend, a LocalCluster of {jobs} workers, the same class",
             f"{rate:.1f} submissions/s, {seconds:.1f} s ({len(graded)} graded, {rate / local_rate:.0%} of "
             f"`grade-batch`'s median; results {'the same' if same else 'DIFFERENT'}; CPU "
             f"{cpu / max(len(graded), 1):.2f} s per submission, every process)"
             + (f"; exit {done.returncode}" if done.returncode else ""),
             verdict(rate >= 0.8 * local_rate and same, ">= 80 % of grade-batch, identical results"))]


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
