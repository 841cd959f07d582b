"""Grade submissions: stage each, run the hidden checks with pytest, apply the rubric (the pipeline:
``autograder/__init__.py``)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from micrograd_feedback.judge import CheckFailure
from micrograd_feedback.modules import MODULES
from micrograd_feedback.result import CheckResult, PartResult, SubmissionResult

from ..intake.submission import Submission, load_submission
from ..rubric import Rubric, load_rubric
from ..sandbox.isolation import Isolation, course_modules
from ..sandbox.staging import REFERENCE_DIR, staged
from . import cases
from .context import CURRENT, GradingContext
from .secret import grader_secret, seed_for

__all__ = ["REFERENCE_DIR", "GradingLoop", "grade", "grade_each", "grade_result", "grader_secret"]

CHECKS_DIR = Path(__file__).resolve().parents[1] / "checks"

Done = Callable[[Path, "SubmissionResult | None", "Exception | None"], None]


class GradingLoop:
    """A pytest plugin that grades submissions one after another in one session.

    pytest collects the checks once; then, for each submission, the loop stages
    it, starts its sandbox, hands the context to the fixtures, runs every check
    (pytest's own runtest protocol, as pytest-rerunfailures re-runs items; the
    checks of a module share one item, ``cases.py``) and records each check's
    outcome.  A batch grader feeds it submissions as they
    come, so configuration and collection are paid once per grader, not once
    per submission.  ``done(path, result, error)`` gets each result, or the
    exception that stopped the grader on that submission.
    """

    def __init__(self, paths: Iterable[str | os.PathLike | Submission], done: Done, rubric: Rubric, secret: bytes,
                 grouped: bool = True):
        self.paths, self.done, self.rubric, self.secret, self.grouped = paths, done, rubric, secret, grouped
        self.checks: list[CheckResult] = []
        self.runs: dict[pytest.Item, list[pytest.Item]] = {}  # a leader's cases (``cases.py``), itself first

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session) -> bool:
        if session.testsfailed:
            raise session.Interrupted(f"{session.testsfailed} errors while collecting the hidden checks")
        self.runs = {run[0]: run for run in cases.runs(session.items, self.grouped)}
        for item in self.paths:
            path = item.origin if isinstance(item, Submission) else Path(item)
            try:
                result = self._grade(session, item)
            except Exception as error:  # noqa: BLE001 - the grader failed on this one; report it, go on
                self.done(path, None, error)
            else:
                self.done(path, result, None)
        return True

    def _grade(self, session, given: str | os.PathLike | Submission) -> SubmissionResult:
        started = time.monotonic()
        # A Submission already read (by a cluster client, say) is graded as it is.
        submission = given if isinstance(given, Submission) else load_submission(Path(given))
        with staged(submission) as layout:
            isolation = Isolation(layout, preload=course_modules(submission.imports))
            context = GradingContext(submission, layout, self.rubric, seed_for(self.secret, submission.digest),
                                     isolation=isolation)
            with contextlib.suppress(OSError):  # if it cannot start now, the first probe says why
                isolation.prepare()  # it boots while the first checks get ready
            grading, self.checks = CURRENT.set(context), []  # the checks' ``grading`` fixture
            try:
                leaders = list(self.runs)
                for i, item in enumerate(leaders):
                    context.check = item
                    # nextitem None after the last: every fixture is torn down before the next submission
                    following = leaders[i + 1] if i + 1 < len(leaders) else None
                    item.config.hook.pytest_runtest_protocol(item=item, nextitem=following)
            finally:
                CURRENT.reset(grading)
                context.close()
                isolation.close()  # the sandbox and every process left in it
        return build_result(self.rubric, submission, self.checks, isolation.level, time.monotonic() - started)

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem):
        run = self.runs.get(pyfuncitem, [])
        if len(run) < 2:
            return None  # one case: pytest calls it
        context = CURRENT.get()
        cases.run_all(pyfuncitem, run, self._record, begin=lambda case: setattr(context, "check", case))
        context.check = pyfuncitem
        return True

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        run = self.runs.get(item, [item])
        if report.when == "setup" and not report.passed:  # a fixture failed: every case of the run did
            for case in run:
                self._record(case, call.excinfo.value if call.excinfo else None)
        elif report.when == "call" and len(run) == 1:  # a run of several recorded each case as it ran
            self._record(item, None if report.passed else call.excinfo.value if call.excinfo else None)

    def _record(self, item: pytest.Item, error: BaseException | None) -> None:
        """``item``'s outcome as a ``CheckResult``; ``error``: what it raised, None if it passed."""
        check = self._check(item, error)
        self.checks.append(check)
        if check.status != "passed":  # a later integration check may use this part's members
            CURRENT.get().failed_parts.add(check.part)

    def _check(self, item, error: BaseException | None) -> CheckResult:
        marked = item.get_closest_marker("part")  # a module that grades several parts marks each check
        module = item.module.__name__.rsplit(".", 1)[-1]
        part = marked.args[0] if marked else self.rubric.part_of_check_module(module).id
        marker = item.get_closest_marker("weight")
        weight = float(marker.args[0]) if marker else 1.0
        if error is None:
            return CheckResult(item.name, part, weight)
        if isinstance(error, CheckFailure):
            return error.result(item.name, part, weight)
        # A bug in the grader itself, not in the submission: say so plainly.
        raised = pytest.ExceptionInfo.from_exception(error).exconly()
        return CheckResult(item.name, part, weight, "error",
                           error=f"internal grader error in this check: {raised[:300]}")


class CheapFailureReports:
    """A check's failure is reported by its fields: pytest's own report (the traceback with
    source, parsed per failed check) would cost more than the check itself."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        if call.excinfo is None or not isinstance(call.excinfo.value, CheckFailure):
            return None
        return pytest.TestReport(item.nodeid, item.location, keywords={}, outcome="failed",
                                 longrepr=str(call.excinfo.value), when=call.when, sections=[],
                                 duration=call.duration, start=call.start, stop=call.stop, user_properties=[])


def grade(path: str | os.PathLike, *, rubric: Rubric | None = None, secret: bytes | None = None) -> dict:
    """Grade the submission at ``path``: the contract's JSON result (docs/interface.md)."""
    return grade_result(path, rubric=rubric, secret=secret).to_json()


def grade_result(path: str | os.PathLike, *, rubric: Rubric | None = None,
                 secret: bytes | None = None) -> SubmissionResult:
    """Grade the submission at ``path``: the result as data, for reporters."""
    results: list[tuple[SubmissionResult | None, Exception | None]] = []
    grade_each([path], lambda _, result, error: results.append((result, error)), rubric=rubric, secret=secret)
    result, error = results[0]
    if error is not None:
        raise error
    assert result is not None
    return result


def grade_each(paths: Iterable[str | os.PathLike | Submission], done: Done, *, rubric: Rubric | None = None,
               secret: bytes | None = None, grouped: bool = True) -> None:
    """Grade every submission ``paths`` yields, in one pytest session; ``done`` gets each result.

    ``grouped=False``: one pytest item per check (``cases.py``): the same results, slower."""
    rubric = rubric or load_rubric()
    args = checks_arguments(rubric)
    loop = GradingLoop(paths, done, rubric, secret or grader_secret(), grouped)
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


def checks_arguments(rubric: Rubric) -> list[str]:
    """pytest's command line for the hidden checks ``rubric`` names, with their own configuration."""
    modules = [str(CHECKS_DIR / f"{check}.py") for part in rubric.parts.values() for check in part.checks]
    missing = [m for m in modules if not Path(m).is_file()]
    if missing:
        raise FileNotFoundError(f"the rubric names check modules that do not exist: {missing}")
    return ["-c", str(CHECKS_DIR / "pytest.ini"), "--rootdir", str(CHECKS_DIR), "-p", "no:terminal",
            "-p", "no:logging", "-p", "no:unraisableexception", *modules]


def _in_notebook(check: CheckResult, submission: Submission) -> CheckResult:
    """``check`` with its place (``(engine.py, line 148)``) said as the student can find it (the cell)."""
    if check.where is None:
        return check
    file, line = check.where
    place = submission.place(file, line)
    raw = f"({file}, line {line})"
    if raw not in check.error or place == f"{file}, line {line}":
        return check
    return dataclasses.replace(check, error=check.error.replace(raw, f"({place})"))


def build_result(rubric: Rubric, submission: Submission, checks: list[CheckResult], isolation: str,
                 seconds: float) -> SubmissionResult:
    """The rubric applied to the checks' outcomes."""
    parts, kept = {}, []
    if submission.places:  # a notebook submission: each place in the notebook's terms
        checks = [_in_notebook(c, submission) for c in checks]
    for part in rubric.parts.values():
        mine = [c for c in checks if c.part == part.id]
        if part.module in submission.problems:  # nothing of this part can pass, whatever a check did
            problem = submission.problems[part.module]
            mine = [CheckResult(c.name, c.part, c.weight, "failed", error=problem) for c in mine]
        score = rubric.score(part, [(c.weight, c.status == "passed") for c in mine]) if mine else 0.0
        parts[part.id] = PartResult(part.id, part.title, score, part.points, part.visibility)
        kept += mine
    # Only what this rubric grades: one assignment's result never mentions the other's files.
    problems = {k: v for k, v in submission.problems.items() if k in rubric.modules or k not in MODULES}
    kinds = {k: v for k, v in submission.kinds.items() if k in problems}
    return SubmissionResult(parts=parts, checks=kept, max_score=rubric.total, problems=problems, problem_kinds=kinds,
                            isolation=isolation, execution_time=round(seconds, 2))
