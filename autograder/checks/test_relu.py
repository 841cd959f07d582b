"""Part `relu`: both sides of the kink, exactly at it (gradient 0, as in PyTorch), reuse."""

import pytest

from .ops import away_from_zero, cases, check_expression, draw_out_grad, run_case

# Inputs are drawn positive, and each expression's relu argument has a fixed sign (the number -1 flips it),
# so every draw exercises the same side of the kink; arguments stay at least 0.25 away from 0, so finite
# differences apply.
EXPRESSIONS = ["a.relu()", "(a * b).relu()", "(a * b).relu() * b",
               "(a * -1).relu()", "(a * b * -1).relu()", "(a * b * -1).relu() * b"]
# Reuse: with positive inputs, so that every use contributes a gradient (a lost one shows).
REUSE = ["a.relu() * a", "a.relu() + a.relu()", "(a * b).relu() * a"]


@pytest.mark.parametrize("sign", [1, -1])
def test_relu_each_side(probe, rng, part, sign):
    """A positive input passes the gradient through; a negative one gets none."""
    x = sign * rng.uniform(0.1, 5.0)
    check_expression(probe, part, "a.relu()", {"a": x}, draw_out_grad(rng, "other"))


@pytest.mark.parametrize(("template", "out_grad"), cases(EXPRESSIONS))
def test_relu(probe, rng, part, template, out_grad):
    run_case(probe, rng, part, template, out_grad, positive=True)


@pytest.mark.parametrize(("template", "out_grad"), cases(REUSE))
def test_relu_reuse(probe, rng, part, template, out_grad):
    run_case(probe, rng, part, template, out_grad, positive=True)


@pytest.mark.parametrize("case", ["leaf", "difference", "product"])
def test_relu_at_zero(probe, rng, part, case):
    """relu at exactly 0: value 0, derivative 0 (finite differences do not apply, so the check states it)."""
    g = draw_out_grad(rng, "other")
    b = away_from_zero(rng)
    if case == "leaf":
        expr, inputs, wrong = "a.relu()", {"a": 0.0}, {"a": g}
    elif case == "difference":  # a - b is exactly 0
        expr, inputs, wrong = "(a - b).relu()", {"a": b, "b": b}, {"a": g, "b": -g}
    else:  # a * b is exactly 0
        expr, inputs, wrong = "(a * b).relu()", {"a": 0.0, "b": b}, {"a": b * g, "b": 0.0}
    zero = dict.fromkeys(inputs, 0.0)
    check_expression(probe, part, expr, inputs, g, expected_grads=zero, bug_grads={"relu-grad-at-zero": wrong})
