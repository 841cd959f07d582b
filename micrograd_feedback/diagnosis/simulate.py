"""A tiny engine of the grader's own that reproduces one catalogued gradient bug.

So that a wrong gradient inside a larger expression (``(a ** 2) ** 3``,
``a.exp() * b``) can still be named: the expression is evaluated with the
bug planted in the operations of one part (named by their ``Value`` members,
as the rubric lists them) and the gradients compared with what the student's
code gave.  Only bugs whose effect does not depend on the order of
propagation are simulated.  An expression using an operation this engine
lacks simulates to None (no diagnosis), never to an error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..probes import outputs_first


@dataclass(frozen=True)
class Simulation:
    """The bug planted, and the members (``__add__``, ``exp``, ...) whose operations have it."""

    bug: str
    members: frozenset[str]

    def affects(self, member: str) -> bool:
        return member in self.members


class Node:
    """A float with a gradient tape: ``parents`` holds (node, local derivative) pairs."""

    def __init__(self, sim: Simulation, data: float, member: str = "", parents: tuple = ()):
        self.sim, self.data, self.member, self.parents = sim, float(data), member, parents

    def _lift(self, v) -> Node:
        return v if isinstance(v, Node) else Node(self.sim, v)

    def _make(self, data, member, parents, local_if_buggy=None) -> Node:
        """A result node; under the simulated bug, an affected operation gets the bug's local derivative."""
        if self.sim.affects(member) and local_if_buggy is not None:
            parents = local_if_buggy
        return Node(self.sim, data, member, parents)

    def __add__(self, o):
        o = self._lift(o)
        return self._make(self.data + o.data, "__add__", ((self, 1.0), (o, 1.0)))

    def __radd__(self, o):
        return self._lift(o) + self

    def __mul__(self, o):
        o = self._lift(o)
        return self._make(self.data * o.data, "__mul__", ((self, o.data), (o, self.data)))

    def __rmul__(self, o):
        return self._lift(o) * self

    def __neg__(self):
        return self._make(-self.data, "__neg__", ((self, -1.0),))

    def __sub__(self, o):
        o = self._lift(o)
        return self._make(self.data - o.data, "__sub__", ((self, 1.0), (o, -1.0)))

    def __rsub__(self, o):
        return self._lift(o) - self

    def __truediv__(self, o):
        o = self._lift(o)
        return self._make(self.data / o.data, "__truediv__", ((self, 1 / o.data), (o, -self.data / o.data**2)))

    def __rtruediv__(self, o):
        return self._lift(o) / self

    def __pow__(self, k):
        x = self.data
        wrong = ((self, k * x**k),) if self.sim.bug == "pow-exponent-not-reduced" else None
        return self._make(x**k, "__pow__", ((self, k * x ** (k - 1)),), wrong)

    def exp(self):
        e = math.exp(self.data)
        wrong = ((self, self.data),) if self.sim.bug == "exp-grad-uses-input" else None
        return self._make(e, "exp", ((self, e),), wrong)

    def tanh(self):
        t = math.tanh(self.data)
        wrong = ((self, 1 - self.data**2),) if self.sim.bug == "tanh-grad" else None
        return self._make(t, "tanh", ((self, 1 - t * t),), wrong)

    def relu(self):
        x = self.data
        wrong = ((self, 1.0 if x >= 0 else 0.0),) if self.sim.bug == "relu-grad-at-zero" else None
        return self._make(max(x, 0.0), "relu", ((self, 1.0 if x > 0 else 0.0),), wrong)


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
