"""Part `truediv`: ``a / b``, numbers on either side, reuse, intermediate nodes."""

import pytest

from .ops import cases, run_case

# template -> the same with the operands swapped (what a swapped __rtruediv__ computes)
EXPRESSIONS = {
    "a / b": None,
    "a / C": None,
    "C / a": "a / C",
    "a / K": None,
    "K / a": "a / K",
    "a / a": None,
    "(a + b) / b": None,
    "a / (a * b)": None,
    "(a * b) / C": None,
}


@pytest.mark.parametrize(("template", "out_grad"), cases(EXPRESSIONS))
def test_truediv(probe, rng, part, template, out_grad):
    run_case(probe, rng, part, template, out_grad, swapped=EXPRESSIONS[template])
