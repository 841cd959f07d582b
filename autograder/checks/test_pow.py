"""Part `pow`: int, negative and fractional exponents, on leaves and on intermediate nodes."""

import pytest

from .ops import cases, run_case

# Any sign of input is fine for int exponents.
INT_EXPONENTS = ["a ** K", "a ** 2", "a ** (-1)", "a ** (-2)", "(a * b) ** K", "(a + b) ** 2",
                 "a ** 2 + a ** 3", "(a ** 2) ** K"]
# Fractional exponents need a positive base.
FLOAT_EXPONENTS = ["a ** 0.5", "a ** C", "(a * b) ** C"]


@pytest.mark.parametrize(("template", "out_grad"), cases(INT_EXPONENTS))
def test_pow(probe, rng, part, template, out_grad):
    run_case(probe, rng, part, template, out_grad)


@pytest.mark.parametrize(("template", "out_grad"), cases(FLOAT_EXPONENTS))
def test_pow_fractional(probe, rng, part, template, out_grad):
    run_case(probe, rng, part, template, out_grad, positive=True)
