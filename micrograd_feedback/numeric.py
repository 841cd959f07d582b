"""Plain floats and central finite differences: the first, library-free oracle.

An expression is a short string such as ``"a * b + 2"`` or ``"(a - b).relu()"``,
evaluated here on ``Num`` (a float with the engine's method names) and, in the
worker, on the student's ``Value``.  The same text on both sides means the
grader states each case once.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

H = 1e-6


def _lift(fn: Callable[..., float]) -> Callable[..., Num]:
    """A method of ``Num`` computing ``fn`` on plain floats."""

    def method(self: float, *args: float) -> Num:
        return Num(fn(float(self), *(float(a) for a in args)))

    return method


class Num(float):
    """A float that also answers .exp(), .tanh(), .relu(), and every operation the rubric defines by its rule."""

    __add__ = _lift(float.__add__)
    __radd__ = _lift(float.__radd__)
    __sub__ = _lift(float.__sub__)
    __rsub__ = _lift(float.__rsub__)
    __mul__ = _lift(float.__mul__)
    __rmul__ = _lift(float.__rmul__)
    __truediv__ = _lift(float.__truediv__)
    __rtruediv__ = _lift(float.__rtruediv__)
    __pow__ = _lift(float.__pow__)
    __neg__ = _lift(float.__neg__)
    exp = _lift(math.exp)
    tanh = _lift(math.tanh)
    relu = _lift(lambda x: x if x > 0 else 0.0)


def rule(forward: str) -> Callable[[float], float]:
    """An operation's forward rule (the rubric's ``forward``: an expression in ``x``, ``math`` in scope)."""
    return eval(f"lambda x: {forward}", {"__builtins__": {}, "math": math})  # noqa: S307 - the course's own text


def _operations_by_rule() -> None:
    """Each operation the course defines by its forward rule alone answers here too (``Num(x).log()``)."""
    from .modules import PARTS

    for part in PARTS.values():
        if part.forward and not hasattr(Num, part.members[0]):
            setattr(Num, part.members[0], _lift(rule(part.forward)))


_operations_by_rule()


@functools.lru_cache(maxsize=4096)
def compiled(expr: str):
    """``expr`` compiled once: the checks evaluate the same few hundred expressions many times."""
    return compile(expr, "<expression>", "eval")


def evaluate(expr: str, inputs: dict[str, float]) -> float:
    """The value of ``expr`` with plain floats."""
    return float(eval(compiled(expr), {"__builtins__": {}}, {k: Num(v) for k, v in inputs.items()}))  # noqa: S307


def gradient(expr: str, inputs: dict[str, float], h: float = H) -> dict[str, float]:
    """d expr / d input for every input, by central finite differences."""
    grads = {}
    for name in inputs:
        up, down = dict(inputs), dict(inputs)
        up[name] += h
        down[name] -= h
        grads[name] = (evaluate(expr, up) - evaluate(expr, down)) / (2 * h)
    return grads


def close(got: float | None, expected: float, rel: float = 1e-5, abs_tol: float = 1e-7) -> bool:
    """``got`` is a finite float near ``expected`` (the grader's own comparison)."""
    value = got if type(got) in (int, float) else None  # a bool or a float subclass is not a number here
    if value is None or math.isnan(value):
        return False
    got = value
    if math.isinf(expected) or math.isinf(got):
        return got == expected
    return abs(got - expected) <= max(rel * abs(expected), abs_tol)


def fmt(x: float | None) -> str:
    return "nothing (not a number)" if x is None else f"{x:.6g}"
