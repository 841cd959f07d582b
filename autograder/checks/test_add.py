"""Part `add`: ``a + b``, ``a + 2``, ``2 + a`` and reuse (``a + a``)."""

import pytest

from .ops import check_expression

PART = "add"

EXPRESSIONS = ["a + b", "a + 2.5", "2.5 + a", "a + a", "a + b + a"]


@pytest.mark.parametrize("expr", EXPRESSIONS)
@pytest.mark.parametrize("out_grad", [1.0, -2.5])
def test_add(probe, rng, expr, out_grad):
    inputs = {"a": rng.uniform(-3, 3), "b": rng.uniform(-3, 3)}
    inputs = {k: v for k, v in inputs.items() if k in expr}
    check_expression(probe, PART, expr, inputs, out_grad)
