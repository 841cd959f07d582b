"""Part `tanh`: value and gradient on ordinary inputs, and saturation far out (no OverflowError)."""

import pytest

from .ops import cases, check_expression, draw_out_grad, run_case

# Every argument of tanh is at least 0.25 from 0 (|inputs| and |C| >= 0.5, no sums that could cancel): there
# tanh(x) and x differ enough that a derivative computed from the input instead of the output shows in
# every draw.
EXPRESSIONS = ["a.tanh()", "(a * b).tanh()", "a.tanh() * a", "(C * a).tanh()", "a.tanh().tanh()",
               "a.tanh() + a.tanh()"]


@pytest.mark.parametrize(("template", "out_grad"), cases(EXPRESSIONS))
def test_tanh(probe, rng, part, template, out_grad):
    run_case(probe, rng, part, template, out_grad, low=0.5, high=2.5)


@pytest.mark.parametrize("magnitude", ["800", "1000", "drawn"])
@pytest.mark.parametrize("sign", [1, -1])
def test_tanh_saturates(probe, rng, part, magnitude, sign):
    """tanh(+-800), tanh(+-1000) and a drawn far input: exactly +-1, gradient 0, no OverflowError."""
    x = sign * (rng.uniform(400.0, 1e6) if magnitude == "drawn" else float(magnitude))
    check_expression(probe, part, "a.tanh()", {"a": x}, draw_out_grad(rng, "other"))


@pytest.mark.parametrize("sign", [1, -1])
def test_tanh_saturates_inside_an_expression(probe, rng, part, sign):
    """A large argument built from other nodes (each sign its own case: a formula that overflows does so on one
    side only): the intermediate node still gets gradient 0."""
    inputs = {"a": sign * rng.uniform(400.0, 900.0), "b": rng.uniform(1.0, 2.0)}
    check_expression(probe, part, "(a * b).tanh()", inputs, draw_out_grad(rng, "other"))
