"""Part `mul`: ``a * b``, numbers on either side (float and int), reuse, intermediate nodes."""

import pytest

from .ops import run_case

PART = "mul"

EXPRESSIONS = ["a * b", "a * C", "C * a", "a * K", "K * a", "a * a", "a * b * a", "(a + b) * b", "(a * b) * (a * C)"]


@pytest.mark.parametrize("out_grad", ["one", "other"])
@pytest.mark.parametrize("template", EXPRESSIONS)
def test_mul(probe, rng, template, out_grad):
    run_case(probe, rng, PART, template, out_grad)
