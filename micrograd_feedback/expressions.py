"""What an expression the grader wrote is made of, read from its syntax tree (never from its text).

The checks state cases as short expressions (``"a * b + C"``, ``"(a - b).relu()"``);
the diagnosis asks which inputs an expression uses and how often, whether it
negates a Value, what a top-level division's numerator holds, or the exponent
of ``a ** k``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Expression:
    text: str

    @cached_property
    def tree(self) -> ast.expr:
        return ast.parse(self.text, mode="eval").body

    def names(self) -> list[str]:
        """Every name the expression reads, in the order they first appear."""
        seen: dict[str, None] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                seen.setdefault(node.id)
        return list(seen)

    def uses(self, name: str) -> int:
        """How many times ``name`` is read."""
        return sum(isinstance(n, ast.Name) and n.id == name for n in ast.walk(self.tree))

    def negates_a_value(self) -> bool:
        """Whether a unary minus applies to something other than a number."""
        return any(isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub) and _number(n.operand) is None
                   for n in ast.walk(self.tree))

    def numerator_names(self) -> set[str]:
        """The names in the left operand of a top-level ``x / y``."""
        top = self.tree
        if isinstance(top, ast.BinOp) and isinstance(top.op, ast.Div):
            return {n.id for n in ast.walk(top.left) if isinstance(n, ast.Name)}
        return set()

    def is_method_of_input(self, method: str) -> str | None:
        """The input ``x`` when the whole expression is ``x.method()``, else None."""
        top = self.tree
        if (isinstance(top, ast.Call) and not top.args and not top.keywords and isinstance(top.func, ast.Attribute)
                and top.func.attr == method and isinstance(top.func.value, ast.Name)):
            return top.func.value.id
        return None

    def power_of_input(self) -> tuple[str, float] | None:
        """``(x, k)`` when the whole expression is ``x ** k`` for an input x and a number k."""
        top = self.tree
        if isinstance(top, ast.BinOp) and isinstance(top.op, ast.Pow) and isinstance(top.left, ast.Name):
            k = _number(top.right)
            return (top.left.id, k) if k is not None else None
        return None


def _number(node: ast.expr) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _number(node.operand)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    return None
