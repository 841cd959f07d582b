"""Quick public checks for engine.py. Run them with:  pytest micrograd_skeleton

Each test builds a tiny expression, calls backward(), and compares with
values worked out by hand. The hidden autograder checks much more.
"""

import math

import pytest

from micrograd_skeleton.engine import Value


def grads_after_backward(out, *inputs):
    out.backward()
    return [x.grad for x in inputs]


def test_add():
    a, b = Value(2.0), Value(-3.0)
    c = a + b
    assert c.data == pytest.approx(-1.0), "2 + (-3) should be -1"
    assert grads_after_backward(c, a, b) == pytest.approx([1.0, 1.0]), "d(a+b)/da and d(a+b)/db are both 1"


def test_add_numbers_on_either_side():
    a = Value(2.0)
    assert (a + 1).data == pytest.approx(3.0), "a + 1: wrap the number 1 in a Value"
    assert (1 + a).data == pytest.approx(3.0), "1 + a calls a.__radd__(1)"


def test_mul():
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    assert c.data == pytest.approx(-6.0)
    assert grads_after_backward(c, a, b) == pytest.approx([-3.0, 2.0]), "d(a*b)/da = b and d(a*b)/db = a"
    assert (2 * Value(3.0)).data == pytest.approx(6.0), "2 * a calls a.__rmul__(2)"


def test_a_value_used_twice_gets_both_contributions():
    a = Value(3.0)
    b = a * a
    assert grads_after_backward(b, a) == pytest.approx([6.0]), (
        "d(a*a)/da = 2a = 6: each use of `a` must ADD (+=) its part of the gradient"
    )


def test_pow():
    a = Value(3.0)
    b = a**2
    assert b.data == pytest.approx(9.0)
    assert grads_after_backward(b, a) == pytest.approx([6.0]), "d(a**2)/da = 2a"


def test_neg_sub():
    a, b = Value(5.0), Value(2.0)
    c = a - b
    assert c.data == pytest.approx(3.0)
    assert grads_after_backward(c, a, b) == pytest.approx([1.0, -1.0])
    assert (10 - Value(4.0)).data == pytest.approx(6.0), "10 - a is 6 when a = 4 (not a - 10)"


def test_truediv():
    a, b = Value(6.0), Value(3.0)
    c = a / b
    assert isinstance(c, Value), "a / b must return a Value, so that gradients can flow"
    assert c.data == pytest.approx(2.0)
    assert grads_after_backward(c, a, b) == pytest.approx([1 / 3, -6 / 9]), "d(a/b)/da = 1/b, d(a/b)/db = -a/b**2"
    assert (1 / Value(4.0)).data == pytest.approx(0.25), "1 / a is 0.25 when a = 4 (not a / 1)"


def test_exp():
    a = Value(1.0)
    b = a.exp()
    assert b.data == pytest.approx(math.e)
    assert grads_after_backward(b, a) == pytest.approx([math.e]), "d(e**a)/da = e**a"


def test_tanh():
    a = Value(0.5)
    b = a.tanh()
    assert b.data == pytest.approx(math.tanh(0.5))
    assert grads_after_backward(b, a) == pytest.approx([1 - math.tanh(0.5) ** 2])
    assert Value(1000.0).tanh().data == 1.0, "tanh(1000) is 1.0: use a formula that cannot overflow"


def test_relu():
    for x, expected_grad in [(2.0, 1.0), (-2.0, 0.0), (0.0, 0.0)]:
        a = Value(x)
        b = a.relu()
        assert b.data == pytest.approx(max(0.0, x))
        assert grads_after_backward(b, a) == pytest.approx([expected_grad]), (
            f"relu'({x}) should be {expected_grad}; does relu set out._backward (with the underscore)?"
        )


def test_backward_through_the_micrograd_readme_expression():
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert g.data == pytest.approx(24.7041, abs=1e-4)
    assert a.grad == pytest.approx(138.8338, abs=1e-4), "dg/da: see the README of micrograd"
    assert b.grad == pytest.approx(645.5773, abs=1e-4), "dg/db: see the README of micrograd"
