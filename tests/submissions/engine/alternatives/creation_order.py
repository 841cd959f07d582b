# ruff: noqa  -- student-style code, kept in its own style on purpose
"""Correct, unusual: backward orders nodes by creation (inputs are always created before the nodes
that use them), ops built through one generic helper, relu via max(0.0, x), exp through math.e ** x."""
import itertools
import math

_clock = itertools.count()


class Value:
    def __init__(self, data, _children=(), _op="", label=""):
        self.data = data
        self.grad = 0
        self._prev = set(_children)
        self._op = _op
        self.label = label
        self._born = next(_clock)
        self._backward = lambda: None

    @classmethod
    def _op_result(cls, data, parents, locals_, op):
        """A new node; ``locals_`` are d out / d parent, in the order of ``parents``."""
        out = cls(data, parents, op)

        def _backward():
            for parent, local in zip(parents, locals_):
                parent.grad += local * out.grad
        out._backward = _backward
        return out

    def __add__(self, other):
        if not isinstance(other, Value):
            other = Value(other)
        return Value._op_result(self.data + other.data, (self, other), (1, 1), "+")

    def __radd__(self, other):
        return self.__add__(other)

    def __mul__(self, other):
        if not isinstance(other, Value):
            other = Value(other)
        return Value._op_result(self.data * other.data, (self, other), (other.data, self.data), "*")

    def __rmul__(self, other):
        return self.__mul__(other)

    def __pow__(self, k):
        return Value._op_result(self.data ** k, (self,), (k * self.data ** (k - 1),), "**")

    def __neg__(self):
        return self.__mul__(-1)

    def __sub__(self, other):
        return self.__add__(-other if isinstance(other, Value) else Value(-other))

    def __rsub__(self, other):
        return (-self).__add__(other)

    def __truediv__(self, other):
        if not isinstance(other, Value):
            other = Value(other)
        return self.__mul__(other.__pow__(-1))

    def __rtruediv__(self, other):
        return self.__pow__(-1).__mul__(other)

    def exp(self):
        e = math.e ** self.data
        return Value._op_result(e, (self,), (e,), "exp")

    def tanh(self):
        t = math.tanh(self.data)
        return Value._op_result(t, (self,), (1 - t * t,), "tanh")

    def relu(self):
        y = max(0.0, self.data)
        return Value._op_result(y, (self,), (1.0 if y > 0 else 0.0,), "relu")

    def backward(self):
        nodes, stack, seen = [], [self], {id(self)}
        while stack:
            node = stack.pop()
            nodes.append(node)
            for child in node._prev:
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append(child)
        self.grad = 1
        for node in sorted(nodes, key=lambda n: n._born, reverse=True):
            node._backward()
