"""Part `mul`: ``a * b``, numbers on either side (float and int), reuse, intermediate nodes."""

import pytest

from .ops import cases, run_case

EXPRESSIONS = ["a * b", "a * C", "C * a", "a * K", "K * a", "a * a", "a * b * a", "(a + b) * b", "(a * b) * (a * C)"]


@pytest.mark.parametrize(("template", "out_grad"), cases(EXPRESSIONS))
def test_mul(probe, rng, part, template, out_grad):
    run_case(probe, rng, part, template, out_grad)
