"""The hidden cases of one engine operation, and their check: value, graph, gradients, diagnosis.

Used by the per-part modules (test_add.py, test_mul.py, ...): each lists its
expressions; this module runs one through the worker and judges it
(``micrograd_feedback.judge``) against central finite differences (or against
gradients the check states itself, where finite differences do not apply,
e.g. relu at its kink).

Expressions are templates: ``C`` stands for a float constant and ``K`` for an
int constant, both drawn from the check's seeded ``rng`` (``instantiate``), so
no input of any kind is fixed in advance.
"""

from __future__ import annotations

import functools
import random
import re

from micrograd_feedback import judge
from micrograd_feedback.expressions import Expression

from ..rubric import Part


def away_from_zero(rng: random.Random, low: float = 0.5, high: float = 3.0) -> float:
    """A number with |x| in [low, high] and a random sign: safe for division, kinks and FD."""
    return rng.choice((-1, 1)) * rng.uniform(low, high)


def instantiate(template: str, rng: random.Random) -> str:
    """Replace ``C`` (float constant) and ``K`` (int constant >= 2) with values drawn from ``rng``."""
    def constant(match: re.Match) -> str:
        if match.group(0) == "K":
            return str(rng.randint(2, 4))
        return f"({round(away_from_zero(rng), 3)!r})"

    return re.sub(r"\b[CK]\b", constant, template)


def draw_out_grad(rng: random.Random, kind: str) -> float:
    """``"one"``: 1.0; otherwise a number away from 1 and 0, so a missing chain factor shows."""
    return 1.0 if kind == "one" else away_from_zero(rng, 0.5, 0.8) * rng.choice((1, 4))


def check_expression(probe, part: Part, expr: str, inputs: dict[str, float], out_grad: float = 1.0,
                     swapped: str | None = None, *, expected_grads: dict[str, float] | None = None,
                     bug_grads: dict[str, dict[str, float]] | None = None) -> None:
    """``judge.check_expression`` with the part's worker as the observer (every other member the reference's)."""

    def observe(expr: str, inputs: dict[str, float], out_grad: float, **options) -> dict:
        return probe("op", expr=expr, inputs=inputs, out_grad=out_grad, **options)

    judge.check_expression(observe, part.id, frozenset(part.members), expr, inputs, out_grad, swapped,
                           expected_grads=expected_grads, bug_grads=bug_grads)


@functools.lru_cache(maxsize=4096)
def names_in(expr: str, names: str = "abc") -> list[str]:
    """The single-letter inputs ``expr`` uses, in ``names`` order."""
    used = set(Expression(expr).names())
    return [n for n in names if n in used]


def run_case(probe, rng: random.Random, part: Part, template: str, out_kind: str = "one",
             swapped: str | None = None, positive: bool = False, low: float = 0.5, high: float = 3.0) -> None:
    """Instantiate ``template`` (and its swapped twin, with the same constants) and check it.

    Inputs are drawn with |x| in [low, high] (positive only when ``positive``,
    e.g. for fractional powers), so divisions, kinks and overflow stay away.
    """
    constants_seed = rng.random()
    expr = instantiate(template, random.Random(constants_seed))
    twin = instantiate(swapped, random.Random(constants_seed)) if swapped else None
    inputs = {n: abs(x) if positive else x for n in names_in(expr) for x in [away_from_zero(rng, low, high)]}
    check_expression(probe, part, expr, inputs, draw_out_grad(rng, out_kind), twin)


def cases(templates) -> list:
    """(template, out.grad kind) pairs: every template with out.grad != 1, and the first also with 1.

    out.grad != 1 catches everything out.grad = 1 does (and a missing chain
    factor too); the plain first case gives the student the simplest failure to read.
    """
    import pytest

    templates = list(templates)
    pairs = [(templates[0], "one")] + [(t, "other") for t in templates]
    return [pytest.param(t, kind, id=f"{t} (out.grad {'1' if kind == 'one' else '!= 1'})") for t, kind in pairs]
