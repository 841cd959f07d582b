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
from collections import Counter

import pytest

from ..diagnosis import diagnose_backward
from ..oracles.numeric import close
from ..result import Diagnosis
from .support import fail, show

MAX_CALLS = 10_000  # the worker sends at most this many _backward calls

Graph = dict[str, dict]  # name -> {"data", "children": [names], "local": [d node / d child]}


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
    """Fifteen nodes, each using one to three earlier ones; the root uses the last few."""
    names = [b.leaf() for _ in range(3)]
    for _ in range(12):
        names.append(b.node(b.rng.sample(names, b.rng.randint(1, min(3, len(names))))))
    return b.node(names[-3:])


SHAPES = {"diamond": diamond, "reuse": reuse, "fan_out": fan_out, "ladder": ladder, "chain": chain,
          "random_dag": random_dag}


def reachable(nodes: Graph, root: str) -> set[str]:
    seen, stack = set(), [root]
    while stack:
        n = stack.pop()
        if n not in seen:
            seen.add(n)
            stack.extend(nodes[n]["children"])
    return seen


def expected_gradients(nodes: Graph, root: str) -> dict[str, float]:
    """The grader's own propagation: the spec lists children first, so reversed order is topological."""
    live = reachable(nodes, root)
    grads = dict.fromkeys(nodes, 0.0)
    grads[root] = 1.0
    for name in reversed(list(nodes)):
        if name in live:
            for child, local in zip(nodes[name]["children"], nodes[name]["local"]):
                grads[child] += local * grads[name]
    return grads


@pytest.mark.parametrize("shape", SHAPES)
def test_backward(probe, rng, shape):
    builder = Builder(rng)
    root = SHAPES[shape](builder)
    nodes = builder.nodes
    obs = probe("graph_backward", nodes=nodes, root=root)
    ran = f"root.backward() on a {shape} graph of {len(nodes)} Values whose _backward the grader wrote"
    expected = expected_gradients(nodes, root)
    # The worker caps the list; an untrusted one may not be: counted once, not per node.
    raw = obs.get("calls") if isinstance(obs.get("calls"), list) else []
    calls = [c for c in raw[:MAX_CALLS] if isinstance(c, str)]
    grads = obs.get("grads") if isinstance(obs.get("grads"), dict) else {}

    def why() -> Diagnosis | None:
        return diagnose_backward(nodes, root, {"calls": calls, "grads": grads}, expected)

    live = reachable(nodes, root)
    tally = Counter(calls)
    counts = {n: tally[n] for n in nodes}
    # Exactly once for a reachable inner node; at most once for a leaf; never for what the root does not reach.
    wrong_count = [n for n in nodes if (counts[n] if n not in live else counts[n] > 1 or (
        bool(nodes[n]["children"]) and counts[n] != 1))]
    if wrong_count:
        sample = ", ".join(f"{n}: {counts[n]}" for n in wrong_count[:5])
        fail(ran, "each reachable node's _backward called exactly once", f"call counts {sample}", why())
    position = {n: i for i, n in enumerate(calls)}
    # Order matters between inner nodes; a leaf's _backward does nothing, so when it runs does not.
    late = [(p, c) for p in sorted(live) for c in nodes[p]["children"]
            if nodes[c]["children"] and c in position and p in position and position[c] < position[p]]
    if late:
        p, c = late[0]
        fail(ran, f"{p}._backward before {c}._backward ({p} uses {c})", f"{c} first ({len(late)} such pairs)", why())
    if not close(grads.get(root), 1.0):
        fail(ran, "root.grad = 1 after backward()", f"root.grad = {show(grads.get(root))}", why())
    off = [n for n in nodes if not close(grads.get(n), expected[n], rel=1e-9, abs_tol=1e-9)]
    if off:
        n = off[0]
        fail(ran, f"{n}.grad = {expected[n]:.6g} ({len(off)} nodes differ)", f"{n}.grad = {show(grads.get(n))}", why())
