"""The reference engine against two independent oracles: PyTorch (float64) and
central finite differences."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch

from solutions.engine import Value

# name -> (function of two inputs written once, for Values and for torch tensors alike)
BINARY: dict[str, Callable] = {
    "add": lambda a, b: a + b,
    "radd": lambda a, b: 2.5 + a * b,
    "mul": lambda a, b: a * b,
    "rmul": lambda a, b: -1.5 * a + b,
    "sub": lambda a, b: a - b,
    "rsub": lambda a, b: 2.0 - a - b,
    "div": lambda a, b: a / b,
    "rdiv": lambda a, b: 3.0 / a + b,
    "neg": lambda a, b: -a * b,
    "pow_int": lambda a, b: a**3 + b**2,
    "pow_float": lambda a, b: a**0.5 * b**-1.5,
    "exp": lambda a, b: (a * b).exp(),
    "tanh": lambda a, b: (a * b).tanh(),
    "relu": lambda a, b: (a - b).relu() + (b - a).relu(),
    "reuse": lambda a, b: a * a + a * b + b,
    "sigmoid": lambda a, b: (a + b).sigmoid(),
}
INPUTS = [(0.7, 1.9), (1.3, 0.4), (2.2, 1.1)]


def micrograd_result(fn, x, y):
    a, b = Value(x), Value(y)
    out = fn(a, b)
    out.backward()
    return out.data, a.grad, b.grad


class _TorchValue:
    """Lets the same lambda call .exp()/.tanh()/.relu()/.sigmoid() on a tensor."""

    def __init__(self, t):
        self.t = t

    def _wrap(self, other):
        return other.t if isinstance(other, _TorchValue) else other

    def __add__(self, o):
        return _TorchValue(self.t + self._wrap(o))

    __radd__ = __add__

    def __mul__(self, o):
        return _TorchValue(self.t * self._wrap(o))

    __rmul__ = __mul__

    def __sub__(self, o):
        return _TorchValue(self.t - self._wrap(o))

    def __rsub__(self, o):
        return _TorchValue(self._wrap(o) - self.t)

    def __truediv__(self, o):
        return _TorchValue(self.t / self._wrap(o))

    def __rtruediv__(self, o):
        return _TorchValue(self._wrap(o) / self.t)

    def __neg__(self):
        return _TorchValue(-self.t)

    def __pow__(self, k):
        return _TorchValue(self.t**k)

    def exp(self):
        return _TorchValue(self.t.exp())

    def tanh(self):
        return _TorchValue(self.t.tanh())

    def relu(self):
        return _TorchValue(self.t.relu())

    def sigmoid(self):
        return _TorchValue(self.t.sigmoid())


def torch_oracle(fn, x, y):
    a = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(y, dtype=torch.float64, requires_grad=True)
    out = fn(_TorchValue(a), _TorchValue(b)).t
    out.backward()
    return out.item(), a.grad.item(), b.grad.item()


def finite_difference_oracle(fn, x, y, h=1e-6):
    def f(p, q):
        return fn(Value(p), Value(q)).data

    return (
        f(x, y),
        (f(x + h, y) - f(x - h, y)) / (2 * h),
        (f(x, y + h) - f(x, y - h)) / (2 * h),
    )


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("x, y", INPUTS)
def test_value_and_gradients_match_pytorch(name, x, y):
    got = micrograd_result(BINARY[name], x, y)
    assert got == pytest.approx(torch_oracle(BINARY[name], x, y), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("x, y", INPUTS)
def test_gradients_match_central_finite_differences(name, x, y):
    got = micrograd_result(BINARY[name], x, y)
    assert got == pytest.approx(finite_difference_oracle(BINARY[name], x, y), rel=1e-6, abs=1e-6)


def test_micrograd_readme_expression():
    from solutions.demo import readme_expression

    g, a, b = readme_expression()
    assert (g.data, a.grad, b.grad) == pytest.approx((24.7041, 138.8338, 645.5773), abs=1e-4)


def test_readme_expression_matches_pytorch():
    from solutions.demo import readme_expression

    g, a, b = readme_expression()

    def expression(a, b):
        c = a + b
        d = a * b + b**3
        c = c + c + 1
        c = c + 1 + c + (-a)
        d = d + d * 2 + (b + a).relu()
        d = d + 3 * d + (b - a).relu()
        e = c - d
        f = e**2
        return f / 2.0 + 10.0 / f

    assert (g.data, a.grad, b.grad) == pytest.approx(torch_oracle(expression, -4.0, 2.0), rel=1e-12)


def test_backward_through_a_chain_of_100000_operations():
    x = Value(1.0)
    y = x
    for _ in range(100_000):
        y = y + 0.0
    y.backward()  # an iterative topological sort: no RecursionError
    assert x.grad == 1.0


@pytest.mark.parametrize("x", [1000.0, -1000.0, 800.0, -800.0])
def test_tanh_is_stable_for_large_inputs(x):
    a = Value(x)
    out = a.tanh()
    out.backward()
    assert out.data == math.copysign(1.0, x)
    assert a.grad == 0.0


def test_relu_derivative_at_zero_is_zero_as_in_pytorch():
    a = Value(0.0)
    a.relu().backward()
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    t.relu().backward()
    assert a.grad == t.grad.item() == 0.0


def test_backward_calls_each_node_once_on_a_diamond():
    a = Value(2.0)
    b = a * 3
    c = b + b  # b is used twice but must be visited once
    out = c * b
    out.backward()
    assert a.grad == pytest.approx(4 * 3 * 3 * 2)  # d(2*(3a)**2)/da = 36a = 72


def test_free_graph_keeps_values_and_gradients():
    a, b = Value(2.0), Value(3.0)
    out = (a * b).tanh()
    out.backward()
    grads = (a.grad, b.grad)
    out.free_graph()
    assert (a.grad, b.grad) == grads and out._prev
