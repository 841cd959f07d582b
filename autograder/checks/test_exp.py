"""Part `exp`: e**x on leaves and intermediate nodes, reuse; inputs kept far from overflow."""

import pytest

from .ops import cases, run_case

EXPRESSIONS = ["a.exp()", "(a * b).exp()", "a.exp() * a", "(-a).exp()", "(a + C).exp()", "a.exp().exp()",
               "a.exp() + a.exp()"]


@pytest.mark.parametrize(("template", "out_grad"), cases(EXPRESSIONS))
def test_exp(probe, rng, part, template, out_grad):
    run_case(probe, rng, part, template, out_grad, low=0.1, high=2.5)
