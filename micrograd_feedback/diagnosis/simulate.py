"""A tiny engine of the grader's own that reproduces one catalogued gradient bug.

So that a wrong gradient inside a larger expression (``(a ** 2) ** 3``,
``a.exp() * b``) can still be named: the expression is evaluated with the
bug planted in the operations of one part (named by their ``Value`` members,
as the rubric lists them) and the gradients compared with what the student's
code gave.  Only bugs whose effect does not depend on the order of
propagation are simulated.  An expression using an operation this engine
lacks simulates to None (no diagnosis), never to an error.

This file ships to students, so it states no derivative: each operation's
forward is ``numeric.Num``'s plain-float one, and its local derivatives are
finite differences of that forward at the operands' values.  A bug is planted
as what the buggy code computes, from those numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..modules import PARTS
from ..numeric import Num
from ..probes import outputs_first

Forward = Callable[..., float]


@dataclass(frozen=True)
class Simulation:
    """The bug planted, and the members (``__add__``, ``exp``, ...) whose operations have it."""

    bug: str
    members: frozenset[str]

    def affects(self, member: str) -> bool:
        return member in self.members


def forward_of(member: str) -> Forward:
    """``Num``'s plain-float forward of ``member``: ``__mul__`` -> ``lambda x, y: x * y``."""
    return lambda x, *rest: float(getattr(Num(x), member)(*rest))


def slope(forward: Forward, values: list[float], i: int) -> float:
    """d forward / d values[i], by central differences; at a kink (relu at 0) the left slope, which is
    PyTorch's convention there."""
    x = values[i]
    h = 1e-6 * max(1.0, abs(x))
    up, down = list(values), list(values)
    up[i], down[i] = x + h, x - h
    here, above, below = forward(*values), forward(*up), forward(*down)
    right, left = (above - here) / h, (here - below) / h
    if abs(right - left) <= 1e-3 * max(1.0, abs(right), abs(left)):
        return (above - below) / (2 * h)
    return left


def planted(bug: str, values: list[float], data: float, local: list[float]) -> list[float] | None:
    """The local derivatives an operation with ``bug`` uses, from the right ones (``local``); None when
    the bug is not one of the operation's own."""
    x = values[0]
    if bug == "pow-exponent-not-reduced":  # k * x**k: the right slope, times x once more
        return [local[0] * x]
    if bug == "exp-grad-uses-input":
        return [x]
    if bug == "tanh-grad":  # the input where the output belongs
        return [1 - x * x]
    if bug == "relu-grad-at-zero":
        return [1.0 if x == 0 else local[0]]
    return None


class Node:
    """A float with a gradient tape: ``parents`` holds (node, local derivative) pairs."""

    def __init__(self, sim: Simulation, data: float, member: str = "", parents: tuple = ()):
        self.sim, self.data, self.member, self.parents = sim, float(data), member, parents

    def _lift(self, v) -> Node:
        return v if isinstance(v, Node) else Node(self.sim, v)

    def _op(self, member: str, forward: Forward, *operands: Node) -> Node:
        values = [o.data for o in operands]
        data = forward(*values)
        local = [slope(forward, values, i) for i in range(len(values))]
        if self.sim.affects(member):
            local = planted(self.sim.bug, values, data, local) or local
        return Node(self.sim, data, member, tuple(zip(operands, local)))

    def __add__(self, o):
        return self._op("__add__", forward_of("__add__"), self, self._lift(o))

    def __radd__(self, o):
        return self._lift(o) + self

    def __mul__(self, o):
        return self._op("__mul__", forward_of("__mul__"), self, self._lift(o))

    def __rmul__(self, o):
        return self._lift(o) * self

    def __neg__(self):
        return self._op("__neg__", forward_of("__neg__"), self)

    def __sub__(self, o):
        return self._op("__sub__", forward_of("__sub__"), self, self._lift(o))

    def __rsub__(self, o):
        return self._lift(o) - self

    def __truediv__(self, o):
        return self._op("__truediv__", forward_of("__truediv__"), self, self._lift(o))

    def __rtruediv__(self, o):
        return self._lift(o) / self

    def __pow__(self, k):
        if isinstance(k, Node):
            raise TypeError("a Value exponent")
        return self._op("__pow__", lambda x: float(Num(x) ** k), self)

    def __getattr__(self, member: str):
        """``exp``, ``tanh``, ``relu`` and every one-operand operation the rubric defines: ``a.exp()``."""
        if member.startswith("_") or not any(member in part.members for part in PARTS.values()):
            raise AttributeError(member)
        forward = forward_of(member)
        return lambda: self._op(member, forward, self)


def simulate(bug: str, members: set[str], expr: str, inputs: dict, out_grad: float) -> dict[str, float] | None:
    """The gradients ``expr`` would get if the operations of ``members`` had ``bug`` (None if it cannot run)."""
    sim = Simulation(bug, frozenset(members))
    try:
        leaves = {k: Node(sim, v) for k, v in inputs.items()}
        out = eval(expr, {"__builtins__": {}}, dict(leaves))  # noqa: S307 - the grader's own expression
        if not isinstance(out, Node):
            return None
        grad = {id(out): out_grad}
        for node in outputs_first(out, lambda node: (parent for parent, _ in node.parents)):
            g = grad.get(id(node), 0.0)
            chain = 1.0 if bug == "missing-chain-factor" and sim.affects(node.member) else g
            for parent, local in node.parents:
                grad[id(parent)] = grad.get(id(parent), 0.0) + local * chain
        return {k: grad.get(id(leaf), 0.0) for k, leaf in leaves.items()}
    except (ArithmeticError, ValueError, TypeError, AttributeError, NameError):
        return None
