"""Fixtures of the hidden checks: the part being graded, its worker, and seeded inputs.

A check module's part is the rubric's (the rubric names the module among a
part's ``checks``).  ``probe`` runs one probe in that part's worker; ``rng``
draws inputs from a seed that depends on the submission's content and the
grader's secret, so the same code always gets the same inputs and nobody can
know them in advance.
"""

from __future__ import annotations

import random

import pytest

from micrograd_feedback.diagnosis import diagnose_error
from micrograd_feedback.judge import CheckFailure, args_summary

from ..context import CONTEXT_KEY, GradingContext
from ..rubric import Part
from ..sandbox.launcher import WorkerError


@pytest.fixture(scope="session")
def grading(request) -> GradingContext:
    """The ``GradingContext`` of this run (see ``autograder/context.py``)."""
    return request.config.stash[CONTEXT_KEY]


@pytest.fixture(scope="module")
def part(request, grading) -> Part:
    """The rubric part the current check module grades."""
    return grading.rubric.part_of_check_module(request.module.__name__.rsplit(".", 1)[-1])


@pytest.fixture(scope="module")
def probe(grading, part):
    """``probe(name, **args)``: one probe in the part's worker (stateless, so one per module)."""

    def run(name: str, **args) -> dict:
        try:
            return grading.probe(part.id, name, **args)
        except WorkerError as error:
            where = error.error.get("where")
            raise CheckFailure(ran=f"the {name} probe with {args_summary(args)}",
                               error=grading.describe_worker_error(error),
                               where=(where["file"], where["line"]) if isinstance(where, dict) else None,
                               diagnoses=(diagnose_error(part.id, error.error),), status=error.status) from None

    return run


@pytest.fixture
def rng(grading, request) -> random.Random:
    return random.Random(f"{grading.seed}:{request.node.nodeid}")
