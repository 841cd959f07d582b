"""Fixtures of the hidden checks: the worker of the current part and seeded inputs.

Each check module sets ``PART`` (a rubric part id).  ``probe`` runs one probe
in that part's worker; ``rng`` draws inputs from a seed that depends on the
submission's content and the grader's secret, so the same code always gets
the same inputs and nobody can know them in advance.
"""

from __future__ import annotations

import random

import pytest

from ..diagnosis import diagnose_error
from ..grade import CONTEXT_KEY
from ..sandbox.launcher import WorkerError
from .support import CheckFailure, args_summary


@pytest.fixture(scope="session")
def grading(request):
    """The ``GradingContext`` of this run (see ``autograder/grade.py``)."""
    return request.config.stash[CONTEXT_KEY]


@pytest.fixture(scope="module")
def part(request) -> str:
    """The rubric part of the current check module (its ``PART``)."""
    return request.module.PART


@pytest.fixture(scope="module")
def probe(grading, part):
    """``probe(name, **args)``: one probe in the part's worker (stateless, so one per module)."""

    def run(name: str, **args) -> dict:
        try:
            return grading.probe(part, name, **args)
        except WorkerError as error:
            message = grading.describe_worker_error(part, error)
            known = diagnose_error(part, error.error)
            if known:
                message += f"\nLikely cause: {known}"
            raise CheckFailure(f"Ran: the {name} probe with {args_summary(args)}\n{message}", status=error.status) from None

    return run


@pytest.fixture
def rng(grading, request) -> random.Random:
    return random.Random(f"{grading.seed}:{request.node.nodeid}")
