"""Walking an expression graph on the trusted side (the sandbox runtime has its own, stdlib-only)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

Node = TypeVar("Node")


def outputs_first(root: Node, parents: Callable[[Node], Iterable[Node]]) -> list[Node]:
    """Every node below ``root`` once, each before the nodes it was built from (the order in
    which backpropagation visits them); iterative, so a deep graph cannot overflow the stack."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((parent, False) for parent in parents(node))
    order.reverse()
    return order
