"""Part `neg_sub`: ``-a``, ``a - b``, numbers on either side, reuse, negated intermediate nodes."""

import pytest

from .ops import cases, run_case

# template -> the same with the operands swapped (what a swapped __rsub__ computes)
EXPRESSIONS = {
    "-a": None,
    "-(a * b)": None,
    "-(-a)": None,
    "a - b": None,
    "a - C": None,
    "C - a": "a - C",
    "a - K": None,
    "K - a": "a - K",
    "a - a": None,
    "b - a * b": None,
    "C - a - b": "a - C - b",
}


@pytest.mark.parametrize(("template", "out_grad"), cases(EXPRESSIONS))
def test_neg_sub(probe, rng, part, template, out_grad):
    run_case(probe, rng, part, template, out_grad, swapped=EXPRESSIONS[template])
