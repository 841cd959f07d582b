"""What the checks of one submission share: its staged files, its sandbox, its part workers.

The grading loop (``grade.py``) makes a ``GradingContext`` for each
submission, makes it ``CURRENT`` (the checks' ``grading`` fixture), and
records in it which check runs; the checks' fixtures (``checks/conftest.py``)
build on it.  ``probe`` runs one probe in the worker of a part, starting it
on first use: the student's module for that part, the reference for the
modules before it and for every other part's members (``rubric.Part.uses``,
``Rubric.grafted``).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

import pytest

from micrograd_feedback.judge import raised

from ..intake.submission import Submission
from ..rubric import MODULES, Part, Rubric
from ..sandbox.isolation import Isolation
from ..sandbox.launcher import Worker, WorkerError
from ..sandbox.layout import Layout


@dataclass
class GradingContext:
    """One submission being graded: its files, its sandbox and part workers, the check being run."""

    submission: Submission
    layout: Layout
    rubric: Rubric
    seed: str
    isolation: Isolation
    workers: dict[str, Worker] = field(default_factory=dict)
    import_failures: dict[str, WorkerError] = field(default_factory=dict)
    failed_parts: set[str] = field(default_factory=set)  # parts with a failed check so far (checks run in rubric order)
    check: pytest.Item | None = None  # the check being run (set by the grading loop)

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
            worker = self.workers[part_id] = Worker(self.isolation, self.setup(part))
            try:
                worker.start()
            except WorkerError as error:
                self.import_failures[module] = error  # the same import fails for every part
                del self.workers[part_id]
                raise
        return worker.call(name, **args)

    @staticmethod
    def describe_worker_error(error: WorkerError) -> str:
        """What happened when the student's code ran, in words."""
        info = error.error
        if info.get("type") == "Unusable":
            return str(info["message"])
        where = info.get("where")
        place = f" ({where['file']}, line {where['line']})" if where else ""
        if error.status == "timeout":
            return f"Your code did not finish in time{place}: {info.get('message')}"
        if error.status == "crashed":
            return f"{info.get('message')}."
        return raised(str(info.get("type")), str(info.get("message")), place.strip(" ()") if where else None)

    def close(self) -> None:
        for worker in self.workers.values():
            worker.close()
        self.workers.clear()

    def setup(self, part: Part) -> dict:
        """What the worker of ``part`` imports: the student's module, the reference for the rest."""
        return {
            "part": part.id,
            "use": part.uses(),
            "graft": self.rubric.grafted(part),
            "files": {m: str(self.layout.submission / f"{m}.py") for m in MODULES},
            "reference": {m: str(self.layout.reference / f"{m}.py") for m in MODULES},
        }


# The context of the submission being graded, in this thread (a Dask worker grades in a thread of its own).
# The checks' fixtures read it here, not through pytest's ``request``, for which pytest builds a fixture
# definition at every use: about 1,200 per submission, several per cent of the grader's CPU.
CURRENT: ContextVar[GradingContext] = ContextVar("the submission being graded")
