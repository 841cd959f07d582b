"""Part `truediv`: ``a / b``, numbers on either side, reuse, intermediate nodes."""

import pytest

from .ops import run_case

PART = "truediv"

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


@pytest.mark.parametrize("out_grad", ["one", "other"])
@pytest.mark.parametrize("template", EXPRESSIONS)
def test_truediv(probe, rng, template, out_grad):
    run_case(probe, rng, PART, template, out_grad, swapped=EXPRESSIONS[template])
