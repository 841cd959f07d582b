"""The shared check for one engine operation: value, graph, gradients, diagnosis.

Used by the per-part modules (test_add.py, test_mul.py, ...): each lists its
expressions; this module runs one through the worker and judges it against
central finite differences.
"""

from __future__ import annotations

from ..diagnosis import diagnose_op
from ..oracles.numeric import close, evaluate, gradient
from .support import fail, show


def check_expression(probe, part: str, expr: str, inputs: dict[str, float], out_grad: float = 1.0,
                     swapped: str | None = None) -> None:
    """``expr`` on the student's Values: a Value, the right data, in the graph, right gradients.

    Gradients are propagated by the grader (not the student's ``backward``),
    from ``out.grad = out_grad``; every other Value member is the reference's.
    """
    obs = probe("op", expr=expr, inputs=inputs, out_grad=out_grad)
    ran = f"out = {expr} with {show(inputs)}; out.grad = {out_grad:g}; out._backward() (and any intermediate node's)"
    expected_data = evaluate(expr, inputs)
    expected_grads = {k: g * out_grad for k, g in gradient(expr, inputs).items()}
    swapped_data = evaluate(swapped, inputs) if swapped else None

    def why() -> str | None:
        return diagnose_op(part, expr, inputs, obs, expected_data, expected_grads, out_grad, swapped_data)

    if not obs.get("is_value"):
        fail(ran, "out is a Value", f"a {obs.get('type')} ({show(obs.get('data'))})", why())
    if not close(obs.get("data"), expected_data):
        fail(ran, f"out.data = {show(expected_data)}", f"out.data = {show(obs.get('data'))}", why())
    unreached = [name for name, ok in obs.get("reaches", {}).items() if not ok]
    if unreached:
        fail(ran, f"{', '.join(unreached)} reachable from out through _prev", "not in out's graph", why())
    grads = obs.get("grads", {})
    if not all(close(grads.get(k), v, rel=1e-4, abs_tol=1e-6) for k, v in expected_grads.items()):
        fail(ran, "grads " + show(expected_grads), "grads " + show(grads), why())
