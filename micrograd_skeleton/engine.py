# Student skeleton, generated from the reference solution by tools/generate_skeleton.py.
# Replace every `raise NotImplementedError(...)` with your code.
"""A scalar automatic-differentiation engine: the heart of micrograd.

Every ``Value`` remembers the Values it was computed from (``_prev``) and a
small function (``_backward``) that knows one thing: how to pass the gradient
of the final result back to those inputs using the chain rule.  ``backward()``
then visits the whole graph in reverse topological order so that each node's
gradient is complete before it is passed on.
"""

from __future__ import annotations

import math


class Value:
    """A scalar value, the operation that produced it, and its gradient."""

    # Why __slots__: a Value then carries no per-instance ``__dict__``.  A
    # training step builds tens of thousands of Values, and every dict is one
    # more object for Python's cyclic garbage collector to scan (the course's
    # measurements: a demo step about 10x faster).  It changes nothing about how Values behave.
    __slots__ = ("data", "grad", "_backward", "_prev", "_op", "label")

    def __init__(self, data, _children=(), _op="", label=""):
        self.data = data
        self.grad = 0.0  # d(final output)/d(this value); 0 until backward()
        self._backward = _no_gradient_to_pass  # a leaf has no inputs to update
        self._prev = set(_children)
        self._op = _op  # cosmetic: only used to draw the graph
        self.label = label  # cosmetic: a name to show in the graph

    def __repr__(self) -> str:
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"

    # ------------------------------------------------------------------
    # Addition and multiplication: the two operations everything else uses.
    # ------------------------------------------------------------------
    def __add__(self, other):
        """``self + other``: the gradient flows unchanged to both inputs."""
        raise NotImplementedError(
            'Value.__add__: wrap a number in a Value, build out with _prev (self, other), and let'
            ' out._backward add out.grad into both grads with +=.'
        )

    def __radd__(self, other):
        """``other + self`` when ``other`` is a number (e.g. ``2 + a``, ``sum()``)."""
        raise NotImplementedError('Value.__radd__: addition commutes, so reuse __add__.')

    def __mul__(self, other):
        """``self * other``: each input's gradient is the *other* input's value."""
        raise NotImplementedError(
            'Value.__mul__: d(a*b)/da = b and d(a*b)/db = a; multiply each by out.grad and '
            'accumulate with +=.'
        )

    def __rmul__(self, other):
        """``other * self`` when ``other`` is a number (e.g. ``2 * a``)."""
        raise NotImplementedError('Value.__rmul__: multiplication commutes, so reuse __mul__.')

    def __pow__(self, other):
        """``self ** other`` for a constant exponent (an int or a float)."""
        assert isinstance(other, (int, float)), "only int/float powers are supported"
        raise NotImplementedError(
            'Value.__pow__: d(x**k)/dx = k * x**(k-1); do not forget the chain factor out.grad.'
        )

    # ------------------------------------------------------------------
    # Negation, subtraction and division: built from the operations above,
    # so they need no _backward of their own.
    # ------------------------------------------------------------------
    def __neg__(self):
        """``-self``."""
        raise NotImplementedError(
            'Value.__neg__: -a is a * -1, which keeps the result in the graph.'
        )

    def __sub__(self, other):
        """``self - other``."""
        raise NotImplementedError('Value.__sub__: a - b is a + (-b).')

    def __rsub__(self, other):
        """``other - self`` when ``other`` is a number (e.g. ``2 - a``)."""
        raise NotImplementedError('Value.__rsub__: mind the order: 2 - a is 2 + (-a), not a - 2.')

    def __truediv__(self, other):
        """``self / other``."""
        raise NotImplementedError(
            'Value.__truediv__: a / b is a * b**-1, which keeps both a and b in the graph.'
        )

    def __rtruediv__(self, other):
        """``other / self`` when ``other`` is a number (e.g. ``2 / a``)."""
        raise NotImplementedError(
            'Value.__rtruediv__: mind the order: 2 / a is 2 * a**-1, not a / 2.'
        )

    # ------------------------------------------------------------------
    # Elementary functions: each knows its own local derivative.
    # ------------------------------------------------------------------
    def exp(self):
        """``e ** self``: its derivative is itself."""
        raise NotImplementedError(
            'Value.exp: d(e**x)/dx = e**x, which is out.data (not self.data).'
        )

    def tanh(self):
        """Hyperbolic tangent, defined for every finite input."""
        raise NotImplementedError(
            'Value.tanh: d(tanh x)/dx = 1 - tanh(x)**2; math.tanh stays finite where (e**2x - '
            '1)/(e**2x + 1) overflows.'
        )

    def relu(self):
        """``max(0, self)``; its derivative at exactly 0 is 0, as in PyTorch."""
        raise NotImplementedError(
            'Value.relu: the local gradient is 1 where out.data > 0 and 0 elsewhere (0 at exactly'
            ' 0); assign out._backward.'
        )

    def sigmoid(self):
        """The logistic function 1 / (1 + e**-x), composed from other operations.

        A worked example: an operation built from existing ones needs no
        ``_backward`` of its own, because each piece already has one.
        """
        return 1 / (1 + (-self).exp())

    # ------------------------------------------------------------------
    # Backpropagation over the whole graph.
    # ------------------------------------------------------------------
    def backward(self):
        """Fill in ``.grad`` of every Value this one depends on.

        Seeds ``self.grad = 1`` (d self / d self) and calls each node's
        ``_backward`` once, outputs before inputs, so that a node's gradient
        has received every contribution before it is passed on.
        """
        raise NotImplementedError(
            'Value.backward: build a topological order (children before parents, each node once),'
            ' set self.grad = 1, then call _backward in reverse order.'
        )

    def free_graph(self):
        """Forget how every node below this one was computed, keeping data and grad.

        Each ``_backward`` closure refers to its own output, a reference cycle
        that only Python's (slow) cyclic garbage collector can free.  Replacing
        the closures breaks the cycles, so a finished training step's graph is
        freed the moment the last name for it goes away.  Like PyTorch after
        ``backward()``, the graph cannot be backpropagated again afterwards.
        """
        stack, seen = [self], set()
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                node._backward = _no_gradient_to_pass
                stack.extend(node._prev)


def _no_gradient_to_pass():
    """The ``_backward`` of a leaf: it has no inputs to pass a gradient to."""
