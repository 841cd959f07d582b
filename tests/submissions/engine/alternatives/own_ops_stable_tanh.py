# ruff: noqa  -- student-style code, kept in its own style on purpose
"""Correct, unusual: __neg__, __sub__, __rsub__, __truediv__, __rtruediv__ as ops of their own with their
own _backward; tanh by a stable exp formula; exp via a shared unary helper; grads reset before backward."""
import math


def _as_value(x):
    return x if isinstance(x, Value) else Value(x)


class Value:
    def __init__(self, data, _children=(), _op="", label=""):
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op
        self.label = label

    def __repr__(self):
        return f"Value({self.data})"

    def _binary(self, other, data, d_self, d_other, op):
        out = Value(data, (self, other), op)

        def _backward():
            self.grad += d_self * out.grad
            other.grad += d_other * out.grad
        out._backward = _backward
        return out

    def _unary(self, data, derivative, op):
        out = Value(data, (self,), op)

        def _backward():
            self.grad += derivative(out) * out.grad
        out._backward = _backward
        return out

    def __add__(self, other):
        other = _as_value(other)
        return self._binary(other, self.data + other.data, 1.0, 1.0, "+")

    def __radd__(self, other):
        return _as_value(other) + self

    def __mul__(self, other):
        other = _as_value(other)
        return self._binary(other, self.data * other.data, other.data, self.data, "*")

    def __rmul__(self, other):
        return _as_value(other) * self

    def __pow__(self, k):
        x = self.data
        return self._unary(x ** k, lambda out: k * x ** (k - 1), f"**{k}")

    def __neg__(self):
        return self._unary(-self.data, lambda out: -1.0, "neg")

    def __sub__(self, other):
        other = _as_value(other)
        return self._binary(other, self.data - other.data, 1.0, -1.0, "-")

    def __rsub__(self, other):
        return _as_value(other) - self

    def __truediv__(self, other):
        other = _as_value(other)
        a, b = self.data, other.data
        return self._binary(other, a / b, 1.0 / b, -a / (b * b), "/")

    def __rtruediv__(self, other):
        return _as_value(other) / self

    def exp(self):
        return self._unary(math.exp(self.data), lambda out: out.data, "exp")

    def tanh(self):
        x = self.data
        # Never exponentiate a positive number: e**(-2|x|) is in (0, 1].
        z = math.exp(-2.0 * abs(x))
        t = math.copysign((1.0 - z) / (1.0 + z), x)
        return self._unary(t, lambda out: 1.0 - out.data * out.data, "tanh")

    def relu(self):
        return self._unary(self.data if self.data > 0 else 0.0, lambda out: 1.0 if out.data > 0 else 0.0, "relu")

    def backward(self):
        order, seen = [], set()
        stack = [iter([self])]
        path = []
        # Iterative post-order with iterators (no recursion).
        while stack:
            for node in stack[-1]:
                if node not in seen:
                    seen.add(node)
                    path.append(node)
                    stack.append(iter(node._prev))
                    break
            else:
                stack.pop()
                if path:
                    order.append(path.pop())
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
