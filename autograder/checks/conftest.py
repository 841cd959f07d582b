"""Fixtures of the hidden checks: the part being graded, its worker, and seeded inputs.

A check module's part is the rubric's (the rubric names the module among a
part's ``checks``); a module that checks several parts (``test_operation``)
marks each check with its part (``@pytest.mark.part(id)``).  ``probe`` runs one probe in that part's worker; ``rng``
draws inputs from a seed that depends on the submission's content and the
grader's secret, so the same code always gets the same inputs and nobody can
know them in advance.
"""

from __future__ import annotations

import random

import pytest

from micrograd_feedback.diagnosis import diagnose_error
from micrograd_feedback.judge import CheckFailure, args_summary, cascade

from ..grading.context import CURRENT, GradingContext
from ..rubric import Part
from ..sandbox.launcher import WorkerError

# These fixtures take the check being run from the grading context, not from pytest's ``request``,
# which pytest makes anew at every use (see ``context.CURRENT``).


@pytest.fixture(scope="session")
def grading() -> GradingContext:
    """The ``GradingContext`` of the submission being graded (see ``autograder/grading/context.py``)."""
    return CURRENT.get()


@pytest.fixture(scope="module")
def part(grading) -> Part:
    """The rubric part the current check module grades."""
    return grading.rubric.part_of_check_module(_check(grading).module.__name__.rsplit(".", 1)[-1])


@pytest.fixture(scope="module")
def probe(grading, part):
    """``probe(name, **args)``: one probe in the part's worker (stateless, so one per module)."""
    return prober(grading, part)


def prober(grading: GradingContext, part: Part):
    """``probe(name, **args)`` in ``part``'s worker; what the student's code raised becomes a ``CheckFailure``."""

    def run(name: str, **args) -> dict:
        try:
            return grading.probe(part.id, name, **args)
        except WorkerError as error:
            where = error.error.get("where")
            operations = {p.id: frozenset(p.members) for p in grading.rubric.operations().values()}
            first = cascade(part.id, error.error.get("called"), operations, grading.failed_parts.__contains__)
            raise CheckFailure(ran=args_summary(args),
                               error=grading.describe_worker_error(error),
                               where=(where["file"], where["line"]) if isinstance(where, dict) else None,
                               diagnoses=(first, diagnose_error(part.id, error.error)),
                               status=error.status) from None

    return run


def observe(probe, ran: str, name: str, **args) -> dict:
    """``probe(name, **args)``; if the student's code raises, the message says what was run in words
    (the nn and train checks, which run a few calls per probe)."""
    try:
        return probe(name, **args)
    except CheckFailure as failure:
        failure.ran = ran
        raise


@pytest.fixture
def rng(grading) -> random.Random:
    """Inputs for one check: the same for the same code and check, unknown to anyone without the secret."""
    return random.Random(f"{grading.seed}:{_check(grading).nodeid}")


def _check(grading: GradingContext) -> pytest.Function:
    assert isinstance(grading.check, pytest.Function), "the grading loop names the check it runs"
    return grading.check
