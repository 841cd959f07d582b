"""The shared check for one engine operation: value, graph, gradients, diagnosis.

Used by the per-part modules (test_add.py, test_mul.py, ...): each lists its
expressions; this module runs one through the worker and judges it against
central finite differences (or against gradients the check states itself,
where finite differences do not apply, e.g. relu at its kink).

Expressions are templates: ``C`` stands for a float constant and ``K`` for an
int constant, both drawn from the check's seeded ``rng`` (``instantiate``), so
no input of any kind is fixed in advance.
"""

from __future__ import annotations

import functools
import random
import re

from ..diagnosis import OpEvidence, diagnose_op
from ..expressions import Expression
from ..oracles.numeric import close, evaluate, gradient
from ..result import GradientCase
from ..rubric import Part
from .support import fail, show


def away_from_zero(rng: random.Random, low: float = 0.5, high: float = 3.0) -> float:
    """A number with |x| in [low, high] and a random sign: safe for division, kinks and FD."""
    return rng.choice((-1, 1)) * rng.uniform(low, high)


def instantiate(template: str, rng: random.Random) -> str:
    """Replace ``C`` (float constant) and ``K`` (int constant >= 2) with values drawn from ``rng``."""
    def constant(match: re.Match) -> str:
        if match.group(0) == "K":
            return str(rng.randint(2, 4))
        return f"({round(away_from_zero(rng), 3)!r})"

    return re.sub(r"\b[CK]\b", constant, template)


def draw_out_grad(rng: random.Random, kind: str) -> float:
    """``"one"``: 1.0; otherwise a number away from 1 and 0, so a missing chain factor shows."""
    return 1.0 if kind == "one" else away_from_zero(rng, 0.5, 0.8) * rng.choice((1, 4))


def separated(expr: str, inputs: dict[str, float]) -> tuple[str, dict[str, float]]:
    """``expr`` with every repeated use of an input renamed to a distinct input of the same value.

    ``a * b * a`` becomes ``a * b * a2`` with ``a2 == a``: the same arithmetic with no reuse.
    """
    fresh = dict(inputs)
    seen: dict[str, int] = {}

    def rename(match: re.Match) -> str:
        name = match.group(0)
        if name not in inputs:
            return name
        seen[name] = seen.get(name, 0) + 1
        if seen[name] == 1:
            return name
        new = f"{name}{seen[name]}"
        fresh[new] = inputs[name]
        return new

    return re.sub(r"\b[a-z]\b", rename, expr), fresh


def check_expression(probe, part: Part, expr: str, inputs: dict[str, float], out_grad: float = 1.0,
                     swapped: str | None = None, *, expected_grads: dict[str, float] | None = None,
                     bug_grads: dict[str, dict[str, float]] | None = None) -> None:
    """``expr`` on the student's Values: a Value, the right data, in the graph, right gradients.

    Gradients are propagated by the grader (not the student's ``backward``),
    from ``out.grad = out_grad``; every other Value member is the reference's.
    ``expected_grads`` (for ``out.grad = 1``) replaces finite differences where
    they do not apply; ``bug_grads`` gives, per catalogued bug, the gradients
    that bug would produce (already scaled by ``out_grad``).
    """
    obs = _clean(probe("op", expr=expr, inputs=inputs, out_grad=out_grad))
    ran = f"out = {expr} with {show(inputs)}; out.grad = {out_grad:g}; out._backward() (and any intermediate node's)"
    expected_data = evaluate(expr, inputs)
    unit = expected_grads if expected_grads is not None else gradient(expr, inputs)
    expected = {k: g * out_grad for k, g in unit.items()}
    swapped_data = evaluate(swapped, inputs) if swapped else None

    def ask(other_expr: str, other_inputs: dict[str, float]) -> dict | None:
        try:
            return _clean(probe("op", expr=other_expr, inputs=other_inputs, out_grad=out_grad))
        except Exception:  # noqa: BLE001 - a failure here only means no diagnosis
            return None

    def separately_ok() -> bool | None:
        """Is the same arithmetic right when no operand is reused?  (Asked only to diagnose.)"""
        alone, alone_inputs = separated(expr, inputs)
        if alone == expr:
            return None
        other = ask(alone, alone_inputs)
        if other is None:
            return False
        want = {k: g * out_grad for k, g in gradient(alone, alone_inputs).items()}
        return close(other.get("data"), expected_data) and _grads_close(other.get("grads"), want)

    def why():
        return diagnose_op(OpEvidence(part, Expression(expr), inputs, obs, expected_data, expected, out_grad,
                                      swapped_data, bug_grads or {}, separately_ok, ask))

    if not obs.get("is_value"):
        fail(ran, "out is a Value", f"a {obs.get('type')} ({show(obs.get('data'))})", why())
    if not close(obs.get("data"), expected_data):
        fail(ran, f"out.data = {show(expected_data)}", f"out.data = {show(obs.get('data'))}", why())
    unreached = [name for name, ok in obs.get("reaches", {}).items() if not ok]
    if unreached:
        fail(ran, f"{', '.join(unreached)} reachable from out through _prev", "not in out's graph", why())
    if not _grads_close(obs.get("grads"), expected):
        got = {name: _number(obs["grads"].get(name)) for name in inputs}
        fail(ran, "grads " + show(expected), "grads " + show(_plain(obs.get("grads"))), why(),
             case=GradientCase(expr, dict(inputs), out_grad, expected, got))


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and type(value) is not bool else None


def _clean(obs: dict) -> dict:
    """The worker is untrusted: ``reaches`` and ``grads`` in the shape the checks read (else empty)."""
    return {**obs, **{key: obs[key] if isinstance(obs.get(key), dict) else {} for key in ("reaches", "grads")}}


def _grads_close(grads: object, expected: dict[str, float]) -> bool:
    return isinstance(grads, dict) and all(close(grads.get(k), v, rel=1e-4, abs_tol=1e-6) for k, v in expected.items())


def _plain(grads: object) -> dict:
    """The observed gradients, for display; anything malformed shows as 'nothing'."""
    return {str(k)[:20]: v for k, v in grads.items()} if isinstance(grads, dict) else {}


@functools.lru_cache(maxsize=4096)
def names_in(expr: str, names: str = "abc") -> list[str]:
    """The single-letter inputs ``expr`` uses, in ``names`` order."""
    used = set(Expression(expr).names())
    return [n for n in names if n in used]


def run_case(probe, rng: random.Random, part: Part, template: str, out_kind: str = "one",
             swapped: str | None = None, positive: bool = False, low: float = 0.5, high: float = 3.0) -> None:
    """Instantiate ``template`` (and its swapped twin, with the same constants) and check it.

    Inputs are drawn with |x| in [low, high] (positive only when ``positive``,
    e.g. for fractional powers), so divisions, kinks and overflow stay away.
    """
    constants_seed = rng.random()
    expr = instantiate(template, random.Random(constants_seed))
    twin = instantiate(swapped, random.Random(constants_seed)) if swapped else None
    inputs = {n: abs(x) if positive else x for n in names_in(expr) for x in [away_from_zero(rng, low, high)]}
    check_expression(probe, part, expr, inputs, draw_out_grad(rng, out_kind), twin)


def cases(templates) -> list:
    """(template, out.grad kind) pairs: every template with out.grad != 1, and the first also with 1.

    out.grad != 1 catches everything out.grad = 1 does (and a missing chain
    factor too); the plain first case gives the student the simplest failure to read.
    """
    import pytest

    templates = list(templates)
    pairs = [(templates[0], "one")] + [(t, "other") for t in templates]
    return [pytest.param(t, kind, id=f"{t} (out.grad {'1' if kind == 'one' else '!= 1'})") for t, kind in pairs]
