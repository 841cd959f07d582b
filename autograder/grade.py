"""Grade one submission: stage it, run the hidden checks with pytest, apply the rubric.

    submission (submission.py) -> sandboxed workers (sandbox/) -> checks against
    oracles (checks/, oracles/) -> rubric (rubric.py) -> result dict (CONTRACT.md 3)
    -> reporters (reporters/)
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .rubric import Part, Rubric, load_rubric
from .sandbox.isolation import Isolation, course_modules, staging_dir
from .sandbox.launcher import Worker, WorkerError
from .sandbox.runtime.probes import OP_MEMBERS
from .submission import MODULES, Submission, load_submission

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKS_DIR = PACKAGE_DIR / "checks"
RUNTIME_DIR = PACKAGE_DIR / "sandbox" / "runtime"
REFERENCE_DIR = PACKAGE_DIR.parent / "solutions"
CONTEXT_KEY = pytest.StashKey["GradingContext"]()
# Every message in a result is at most this long, and a whole result at most this big: the
# student's code decides part of what a message says (docs/threat-model.md).
MAX_MESSAGE_CHARS = 1_500
MAX_RESULT_BYTES = 512 * 1024


@dataclass
class Outcome:
    """One check's result, before points."""

    name: str
    part: str
    weight: float
    status: str  # passed | failed | error | timeout
    message: str = ""


@dataclass
class GradingContext:
    """Everything the checks of one submission share: the staged files and the workers."""

    submission: Submission
    workdir: Path
    rubric: Rubric
    seed: str
    isolation: Isolation
    workers: dict[str, Worker] = field(default_factory=dict)
    import_failures: dict[str, WorkerError] = field(default_factory=dict)

    def probe(self, part_id: str, name: str, **args) -> dict:
        part = self.rubric.parts[part_id]
        module = part.module
        if not self.submission.usable(module):
            raise WorkerError("error", {"type": "Unusable", "message": self.submission.problems[module]})
        if module in self.import_failures:
            raise self.import_failures[module]
        worker = self.workers.get(part_id)
        if worker is None:
            for other in [p for p in self.workers if p != part_id]:
                self.workers.pop(other).close()  # one live worker at a time: parts run one after another
            worker = self.workers[part_id] = Worker(self.isolation, self._setup(part))
            try:
                worker.start()
            except WorkerError as error:
                self.import_failures[module] = error  # the same import fails for every part
                del self.workers[part_id]
                raise
        return worker.call(name, **args)

    def describe_worker_error(self, part_id: str, error: WorkerError) -> str:
        info = error.error
        if info.get("type") == "Unusable":
            return info["message"]
        where = info.get("where")
        place = f" ({where['file']}, line {where['line']})" if where else ""
        if error.status == "timeout":
            return f"Your code did not finish in time{place}: {info.get('message')}"
        if error.status == "crashed":
            return f"{info.get('message')}."
        return f"Your code raised {info.get('type')}{place}: {info.get('message')}"

    def close(self) -> None:
        for worker in self.workers.values():
            worker.close()
        self.workers.clear()

    def _setup(self, part: Part) -> dict:
        """What the worker of ``part`` imports: the student's module, the reference for the rest."""
        use = {"engine": "student"}
        graft: list[str] = []
        if part.module == "nn":
            use = {"engine": "reference", "nn": "student"}
        elif part.module == "train":
            use = {"engine": "reference", "nn": "reference", "train": "student"}
        elif part.id in OP_MEMBERS:
            graft = [m for other, members in OP_MEMBERS.items() if other != part.id for m in members]
        staged = self.workdir / "submission"
        return {
            "part": part.id,
            "use": use,
            "graft": graft,
            "files": {m: str(staged / f"{m}.py") for m in MODULES},
            "reference": {m: str(self.workdir / "reference" / f"{m}.py") for m in MODULES},
        }


Done = Callable[[Path, "dict | None", "Exception | None"], None]


class GradingLoop:
    """A pytest plugin that grades submissions one after another in one session.

    pytest collects the checks once; then, for each submission, the loop stages
    it, starts its sandbox, hands the context to the fixtures, runs every check
    (pytest's own runtest protocol, as pytest-rerunfailures re-runs items) and
    records each check's outcome.  A batch grader feeds it submissions as they
    come, so configuration and collection are paid once per grader, not once
    per submission.  ``done(path, result, error)`` gets each result, or the
    exception that stopped the grader on that submission.
    """

    def __init__(self, paths: Iterable[str | os.PathLike], done: Done, rubric: Rubric, secret: bytes):
        self.paths, self.done, self.rubric, self.secret = paths, done, rubric, secret
        self.outcomes: list[Outcome] = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session) -> bool:
        if session.testsfailed:
            raise session.Interrupted(f"{session.testsfailed} errors while collecting the hidden checks")
        for path in map(Path, self.paths):
            try:
                result = self._grade(session, path)
            except Exception as error:  # noqa: BLE001 - the grader failed on this one; report it, go on
                self.done(path, None, error)
            else:
                self.done(path, result, None)
        return True

    def _grade(self, session, path: Path) -> dict:
        started = time.monotonic()
        submission = load_submission(path)
        seed = hmac.new(self.secret, submission.digest.encode(), hashlib.sha256).hexdigest()
        with staged(submission) as workdir:
            isolation = Isolation(workdir, preload=course_modules(submission.imports))
            context = GradingContext(submission, workdir, self.rubric, seed, isolation=isolation)
            with contextlib.suppress(OSError):  # if it cannot start now, the first probe says why
                isolation.prepare()  # it boots while the first checks get ready
            session.config.stash[CONTEXT_KEY] = context
            self.outcomes = []
            try:
                items = session.items
                for i, item in enumerate(items):
                    # nextitem None after the last: every fixture is torn down before the next submission
                    item.config.hook.pytest_runtest_protocol(item=item, nextitem=items[i + 1] if i + 1 < len(items) else None)
            finally:
                context.close()
                isolation.close()  # the sandbox and every process left in it
        return build_result(self.rubric, submission, self.outcomes, isolation.level, time.monotonic() - started)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.outcomes.append(self._outcome(item, call, report))

    def _outcome(self, item, call, report) -> Outcome:
        part = getattr(item.module, "PART", "?")
        marker = item.get_closest_marker("weight")
        weight = float(marker.args[0]) if marker else 1.0
        name = item.name
        if report.passed:
            return Outcome(name, part, weight, "passed")
        error = call.excinfo.value if call.excinfo else None
        from .checks.support import CheckFailure  # noqa: PLC0415 - the checks package imports this module

        if isinstance(error, CheckFailure):
            status = error.status if error.status in ("failed", "error", "timeout") else "error"  # e.g. "crashed"
            return Outcome(name, part, weight, status, error.message)
        # A bug in the grader itself, not in the submission: say so plainly.
        return Outcome(name, part, weight, "error", f"internal grader error in this check: {call.excinfo.exconly()[:300]}")


class CheapFailureReports:
    """A check's failure is reported by its message: pytest's own report (the traceback with
    source, parsed per failed check) would cost more than the check itself."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        from .checks.support import CheckFailure  # noqa: PLC0415 - the checks package imports this module

        if call.excinfo is None or not isinstance(call.excinfo.value, CheckFailure):
            return None
        return pytest.TestReport(item.nodeid, item.location, keywords={}, outcome="failed",
                                 longrepr=call.excinfo.value.message, when=call.when, sections=[],
                                 duration=call.duration, start=call.start, stop=call.stop, user_properties=[])


def grade(path: str | os.PathLike, *, rubric: Rubric | None = None, secret: bytes | None = None) -> dict:
    """Grade the submission at ``path``; the result dict of CONTRACT.md section 3."""
    results: list[tuple[dict | None, Exception | None]] = []
    grade_each([path], lambda _, result, error: results.append((result, error)), rubric=rubric, secret=secret)
    result, error = results[0]
    if error is not None:
        raise error
    return result


def grade_each(paths: Iterable[str | os.PathLike], done: Done, *, rubric: Rubric | None = None,
               secret: bytes | None = None) -> None:
    """Grade every submission ``paths`` yields, in one pytest session; ``done`` gets each result."""
    rubric = rubric or load_rubric()
    modules = [str(CHECKS_DIR / f"{check}.py") for part in rubric.parts.values() for check in part.checks]
    missing = [m for m in modules if not Path(m).is_file()]
    if missing:
        raise FileNotFoundError(f"the rubric names check modules that do not exist: {missing}")
    args = ["-c", str(CHECKS_DIR / "pytest.ini"), "--rootdir", str(CHECKS_DIR), "-p", "no:terminal",
            "-p", "no:logging", "-p", "no:unraisableexception", *modules]
    loop = GradingLoop(paths, done, rubric, secret or grader_secret())
    # Installed pytest plugins (anyio, ...) have nothing to do here and cost startup time.
    previous = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        code = pytest.main(args, plugins=[loop, CheapFailureReports()])
    finally:
        if previous is None:
            del os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = previous
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise RuntimeError(f"the hidden checks could not run (pytest exit status {code})")


def build_result(rubric: Rubric, submission: Submission, outcomes: list[Outcome], isolation: str, seconds: float) -> dict:
    parts, tests = {}, []
    for part in rubric.parts.values():
        mine = [o for o in outcomes if o.part == part.id]
        if part.module in submission.problems:  # nothing of this part can pass, whatever a check did
            problem = submission.problems[part.module]
            mine = [Outcome(o.name, o.part, o.weight, "failed", problem) for o in mine]
        score = rubric.score(part, [(o.weight, o.status == "passed") for o in mine]) if mine else 0.0
        parts[part.id] = {"score": score, "max_score": part.points, "title": part.title}
        total_weight = sum(o.weight for o in mine) or 1.0
        for o in mine:
            max_score = round(part.points * o.weight / total_weight, 4)
            tests.append({
                "name": f"{part.id}: {o.name}",
                "part": part.id,
                "score": max_score if o.status == "passed" else 0.0,
                "max_score": max_score,
                "status": o.status,
                "message": capped(o.message, MAX_MESSAGE_CHARS),
            })
    result = {
        "score": round(sum(p["score"] for p in parts.values()), 2),
        "max_score": rubric.total,
        "parts": parts,
        "tests": tests,
        "problems": {key: capped(text, MAX_MESSAGE_CHARS) for key, text in submission.problems.items()},
        "isolation": isolation,
        "execution_time": round(seconds, 2),
    }
    if len(json.dumps(result)) > MAX_RESULT_BYTES:  # cannot happen with the shipped checks; a guarantee
        for test in tests:
            test["message"] = capped(test["message"], 200)
    return result


def capped(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying so."""
    return text if len(text) <= limit else text[: limit - 14] + " ... (cut)"


@contextmanager
def staged(submission: Submission) -> Iterator[Path]:
    """A private copy: the runtime, the reference, and only the student's three modules."""
    workdir = Path(tempfile.mkdtemp(prefix="micrograd-grade-", dir=staging_dir()))
    try:
        shutil.copytree(RUNTIME_DIR, workdir / "runtime", ignore=shutil.ignore_patterns("__pycache__"))
        (workdir / "reference").mkdir()
        for module in MODULES:
            shutil.copy(REFERENCE_DIR / f"{module}.py", workdir / "reference" / f"{module}.py")
        (workdir / "submission").mkdir()
        for module, source in submission.sources.items():
            (workdir / "submission" / f"{module}.py").write_text(source, encoding="utf-8")
        (workdir / "scratch").mkdir()
        yield workdir
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def grader_secret() -> bytes:
    """The grader's secret: ``$MICROGRAD_GRADER_SECRET``, else a per-user file made once."""
    from_env = os.environ.get("MICROGRAD_GRADER_SECRET")
    if from_env:
        return from_env.encode()
    path = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "micrograd-kit" / "grader-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another grader made it first
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(os.urandom(32).hex())
    return path.read_text().strip().encode()
