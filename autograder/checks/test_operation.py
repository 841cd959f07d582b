"""Every operation the rubric defines by its forward rule alone (``[parts.<id>] forward = ...``).

An instructor who adds ``a.log()`` or ``a.sigmoid()`` writes its solution region
and its rubric entry; these checks then grade it like the hand-written ones grade
``exp`` and ``tanh``: the operation alone and on an intermediate node, a value used
twice, next to a number, each with ``out.grad`` 1 and other than 1, against finite
differences of the rule.  ``domain = "positive"`` draws positive inputs (and leaves
out the cases that could leave the domain).  docs/customising.md.
"""

import pytest

from ..rubric import load_rubric
from .conftest import prober
from .ops import cases, run_case

ANY = ["a.{m}()", "(a * b).{m}()", "(a + C).{m}()", "a.{m}() * b", "a.{m}() * a", "a.{m}() + a.{m}()",
       "C * a.{m}()"]
POSITIVE = ["a.{m}()", "(a * b).{m}()", "a.{m}() * b", "a.{m}() * a", "a.{m}() + a.{m}()", "C * a.{m}()"]


def _params() -> list:
    params = []
    for part in load_rubric().defined_by_rule():
        method = part.members[0]
        templates = [t.format(m=method) for t in (POSITIVE if part.domain == "positive" else ANY)]
        params += [pytest.param(part.id, *case.values, id=f"{part.id}: {case.id}", marks=pytest.mark.part(part.id))
                   for case in cases(templates)]
    return params


@pytest.mark.parametrize(("part_id", "template", "out_grad"), _params())
def test_operation(grading, rng, part_id, template, out_grad):
    part = grading.rubric.parts[part_id]
    run_case(prober(grading, part), rng, part, template, out_grad, positive=part.domain == "positive")
