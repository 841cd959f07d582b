"""Part `backward`: the student's ``backward()`` on graphs the grader builds itself.

Every node is ``Value(data, children)`` and its ``_backward`` is the grader's
own closure (it adds ``local * node.grad`` into each child and records that it
ran), so none of the student's operations take part.  Judged: every reachable
node's ``_backward`` runs exactly once (a leaf's at most once: it does
nothing), every inner node after all the nodes that use it, the root is seeded with
1, and the gradients equal the grader's own propagation.
"""

from __future__ import annotations

import random

import pytest

from micrograd_feedback.judge import Graph, judge_backward


class Builder:
    """Builds a graph spec children-first, with data and local derivatives drawn from ``rng``."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.nodes: Graph = {}

    def leaf(self) -> str:
        return self.node([])

    def node(self, children: list[str]) -> str:
        name = f"n{len(self.nodes)}"
        self.nodes[name] = {
            "data": round(self.rng.uniform(-2, 2), 4),
            "children": list(children),
            "local": [round(self.rng.choice((-1, 1)) * self.rng.uniform(0.5, 1.5), 4) for _ in children],
        }
        return name


def diamond(b: Builder) -> str:
    """An inner node used by two others: it may pass its gradient on only after both."""
    shared = b.node([b.leaf()])
    return b.node([b.node([shared]), b.node([shared, b.leaf()])])


def reuse(b: Builder) -> str:
    """A node that takes the same child twice (``x * x``), and a root that takes it twice again."""
    x, y = b.leaf(), b.leaf()
    square = b.node([x, x])
    return b.node([square, b.node([square, y]), square])


def fan_out(b: Builder) -> str:
    x, y = b.leaf(), b.leaf()
    uses = [b.node([x, y]) for _ in range(b.rng.randint(5, 9))]
    total = uses[0]
    for u in uses[1:]:
        total = b.node([total, u])
    return b.node([total, x])


def ladder(b: Builder) -> str:
    """Diamonds stacked eight high: order matters at every level (256 paths, so a missing visited set shows)."""
    top = b.leaf()
    for _ in range(8):
        top = b.node([b.node([top]), b.node([top, b.leaf()])])
    return top


def chain(b: Builder) -> str:
    """Depth 600, with a shortcut from the bottom to the root: deeper than a naive recursion likes."""
    bottom = b.leaf()
    top = bottom
    for _ in range(600):
        top = b.node([top])
    return b.node([top, bottom])


def random_dag(b: Builder) -> str:
    """Fifteen nodes, each using one to three earlier ones; the root uses the last few.  The shape is the same
    for every submission (drawn from a fixed seed), only the values are theirs: which orders of visiting it
    can catch is a property of the shape, and equal bugs must cost equal points."""
    shape = random.Random("random_dag shape")
    names = [b.leaf() for _ in range(3)]
    for _ in range(12):
        names.append(b.node(shape.sample(names, shape.randint(1, min(3, len(names))))))
    return b.node(names[-3:])


SHAPES = {"diamond": diamond, "reuse": reuse, "fan_out": fan_out, "ladder": ladder, "chain": chain,
          "random_dag": random_dag}


@pytest.mark.parametrize("shape", SHAPES)
def test_backward(probe, rng, shape):
    builder = Builder(rng)
    root = SHAPES[shape](builder)
    nodes = builder.nodes
    obs = probe("graph_backward", nodes=nodes, root=root)
    judge_backward(obs, nodes, root, f"root.backward() on a {shape} graph of {len(nodes)} Values whose _backward "
                   "the grader wrote")
