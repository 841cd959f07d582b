"""Part `add`: ``a + b``, numbers on either side (float and int), reuse, intermediate nodes."""

import pytest

from .ops import run_case

PART = "add"

EXPRESSIONS = ["a + b", "a + C", "C + a", "a + K", "K + a + b", "a + a", "a + b + a", "(a * b) + a"]


@pytest.mark.parametrize("out_grad", ["one", "other"])
@pytest.mark.parametrize("template", EXPRESSIONS)
def test_add(probe, rng, template, out_grad):
    run_case(probe, rng, PART, template, out_grad)
