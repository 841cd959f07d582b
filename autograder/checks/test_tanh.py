"""Part `tanh`: value and gradient on ordinary inputs, and saturation far out (no OverflowError)."""

import pytest

from .ops import away_from_zero, cases, check_expression, draw_out_grad, run_case

EXPRESSIONS = ["a.tanh()", "(a * b).tanh()", "a.tanh() * a", "(a + C).tanh()", "a.tanh().tanh()",
               "a.tanh() + a.tanh()"]


@pytest.mark.parametrize(("template", "out_grad"), cases(EXPRESSIONS))
def test_tanh(probe, rng, part, template, out_grad):
    run_case(probe, rng, part, template, out_grad, low=0.05, high=2.5)


@pytest.mark.parametrize("magnitude", ["800", "1000", "drawn"])
@pytest.mark.parametrize("sign", [1, -1])
def test_tanh_saturates(probe, rng, part, magnitude, sign):
    """tanh(+-800), tanh(+-1000) and a drawn far input: exactly +-1, gradient 0, no OverflowError."""
    x = sign * (rng.uniform(400.0, 1e6) if magnitude == "drawn" else float(magnitude))
    check_expression(probe, part, "a.tanh()", {"a": x}, draw_out_grad(rng, "other"))


def test_tanh_saturates_inside_an_expression(probe, rng, part):
    """A large argument built from other nodes: the intermediate node still gets gradient 0."""
    inputs = {"a": away_from_zero(rng, 400.0, 900.0), "b": rng.uniform(1.0, 2.0)}
    check_expression(probe, part, "(a * b).tanh()", inputs, draw_out_grad(rng, "other"))
