"""How a check judges what it observed: compare with the truth, fail with what was seen, name the bug.

Shared by the grader's hidden checks (``autograder/checks/``, which observe
the student's code through the sandbox and state their cases from a secret
seed) and the students' public self-checks (``selfcheck/``, which observe
their own code in their own process with public cases): the same comparisons,
the same messages, the same diagnoses.  ``observe(expr, inputs, out_grad)``
is how a check runs an expression; it returns the ``probes.probe_op``
observation.  A failure raises ``CheckFailure`` with its fields
(``result.CheckResult``); only reporters turn them into text.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable

from .diagnosis import OpEvidence, diagnose_backward, diagnose_op, diagnose_structure
from .expressions import Expression
from .numeric import close, evaluate, fmt, gradient
from .result import CheckResult, Diagnosis, GradientCase

SHOWN_CHARS = 300  # what one shown value may take: observations are the student's, so bounded
MAX_CALLS = 10_000  # a backward probe reports at most this many _backward calls

Observe = Callable[..., dict]  # observe(expr, inputs, out_grad, **probe options) -> probes.probe_op's observation
Graph = dict[str, dict]  # name -> {"data", "children": [names], "local": [d node / d child]}


class CheckFailure(Exception):
    """A failed check: ``status`` is "failed", "error" or "timeout"; the rest says what was seen."""

    def __init__(self, *, ran: str = "", expected: str = "", got: str = "", error: str = "",
                 diagnoses: Iterable[Diagnosis | None] = (), status: str = "failed",
                 case: GradientCase | None = None, where: tuple[str, int] | None = None):
        self.ran, self.expected, self.got, self.error = ran, expected, got, error
        self.diagnoses = tuple(d for d in diagnoses if d is not None)
        self.status, self.case, self.where = status, case, where
        super().__init__(error or f"expected {expected}, got {got}")

    def result(self, name: str, part: str, weight: float = 1.0) -> CheckResult:
        """The check's result (both sides build it here): a status the result knows ("crashed": "error")."""
        status = self.status if self.status in ("failed", "error", "timeout") else "error"
        return CheckResult(name, part, weight, status, ran=self.ran, expected=self.expected, got=self.got,
                           error=self.error, diagnoses=self.diagnoses, case=self.case, where=self.where)


def fail(ran: str, expected: str, got: str, diagnosis: Diagnosis | None = None, *,
         case: GradientCase | None = None) -> None:
    raise CheckFailure(ran=ran, expected=expected, got=got, diagnoses=(diagnosis,), case=case)


def require(condition: bool, ran: str, expected: str, got: str, diagnosis: Diagnosis | None = None) -> None:
    if not condition:
        fail(ran, expected, got, diagnosis)


def numbers_close(got: list | None, expected: list[float], **tolerance) -> bool:
    return isinstance(got, list) and len(got) == len(expected) and all(
        close(g, e, **tolerance) for g, e in zip(got, expected)
    )


def show(values) -> str:
    """Numbers, a list or a name -> number dict, for a message; at most ``SHOWN_CHARS`` characters."""
    if isinstance(values, dict):
        text = ", ".join(f"{str(k)[:20]}={_one(v)}" for k, v in list(values.items())[:40])
    elif isinstance(values, list):
        text = "[" + ", ".join(_one(v) for v in values[:60]) + "]"
    else:
        text = _one(values)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


def _one(value) -> str:
    if isinstance(value, str):
        return value[:40]
    if isinstance(value, (list, dict)):
        return show(value)
    return fmt(value if isinstance(value, (int, float)) and not isinstance(value, bool) else None)


def cascade(part: str, called, members_of: dict[str, frozenset[str]], is_wrong) -> Diagnosis | None:
    """When a failing case of ``part`` called members of other parts (``called``: the probe's ``called``)
    and one of those parts is wrong (``is_wrong(part)``: its own checks fail), say so first: the failure
    may be that part's, not this one's.  ``members_of``: every operation part's members."""
    from .diagnosis.catalogue import advice

    if not isinstance(called, list):
        return None
    for other, members in members_of.items():
        used = [m for m in called if isinstance(m, str) and m in members]
        if other != part and used and is_wrong(other):
            shown = ", ".join(f"`{m}`" for m in used)
            return advice("uses-a-wrong-part", members=shown, verb="is" if len(used) == 1 else "are", part=other)
    return None


def raised(kind: str, message: str, where: str | None) -> str:
    """What the student's code raised, and where.  Without a place in their code, Python raised it as the
    check called into their class (a missing method, a ``_backward`` taking an argument, a constructor
    refusing the contract's arguments): still their code's doing, never the check's."""
    said = f": {message}" if message else ""
    if where:
        return f"Your code raised {kind} ({where}){said}"
    return f"Calling your code raised {kind}{said}"


def args_summary(args: dict) -> str:
    """What a probe was asked, briefly: an expression and its inputs when there is one."""
    if "expr" in args:
        return ran_expression(args["expr"], args.get("inputs", {}))
    return ", ".join(f"{k}={v!r}"[:60] for k, v in args.items())[:400]


def ran_expression(expr: str, inputs: dict, then: str = "") -> str:
    """``expr`` on ``inputs`` as a student would write it: ``out = a + b with a=1, b=2``, then ``then``
    (``out.backward()``); a grader's one-line program (``[(c := a + b), ..., g][-1]``) as its lines."""
    steps = program_lines(expr)
    if steps is None:
        return f"out = {expr} with {show(inputs)}" + (f"; {then}" if then else "")
    return "\n".join([f"with {show(inputs)}:", *(f"    {step}" for step in steps), *([f"    {then}"] if then else [])])


@functools.lru_cache(maxsize=256)
def program_lines(expr: str) -> tuple[str, ...] | None:
    """The statements of a one-line program ``[(x := e), ..., last][-1]``, ending ``out = last``; None for
    any other expression.  (Asked of every case's expression, failing or not: cached, and no parse
    for what cannot be a program.)"""
    import ast

    if not expr.lstrip().startswith("["):
        return None
    try:
        tree = ast.parse(expr, mode="eval").body
    except SyntaxError:
        return None
    if not (isinstance(tree, ast.Subscript) and isinstance(tree.value, ast.List) and tree.value.elts
            and ast.unparse(tree.slice) == "-1"):
        return None
    steps = list(tree.value.elts)
    last = steps[-1]
    if not all(isinstance(step, ast.NamedExpr) for step in steps[:-1]):
        return None

    def text(node: ast.expr) -> str:  # as the grader wrote it, brackets and spacing included
        return ast.get_source_segment(expr, node) or ast.unparse(node)

    lines = [f"{text(step.target)} = {text(step.value)}" for step in steps if isinstance(step, ast.NamedExpr)]
    return (*lines, f"out = {text(last.target if isinstance(last, ast.NamedExpr) else last)}")


# == engine operations ================================================================
def check_expression(observe: Observe, part: str, members: frozenset[str], expr: str, inputs: dict[str, float],
                     out_grad: float = 1.0, swapped: str | None = None, *,
                     expected_grads: dict[str, float] | None = None,
                     bug_grads: dict[str, dict[str, float]] | None = None) -> None:
    """``expr`` on the student's Values: a Value, the right data, in the graph, right gradients.

    Gradients are propagated from ``out.grad = out_grad`` by calling each node's
    ``_backward`` in turn (not the student's ``backward``), so an operation can
    be judged before ``backward`` is written.  ``expected_grads`` (for
    ``out.grad = 1``) replaces finite differences where they do not apply;
    ``bug_grads`` gives, per catalogued bug, the gradients that bug would
    produce (already scaled by ``out_grad``).  ``swapped`` is the same case with
    the operands swapped (what a swapped reflected method computes).
    """
    obs = _clean(observe(expr, inputs, out_grad))
    ran = ran_expression(expr, inputs, f"out.grad = {out_grad:g}; out._backward() (and any intermediate node's)")
    expected_data = evaluate(expr, inputs)
    unit = expected_grads if expected_grads is not None else gradient(expr, inputs)
    expected = {k: g * out_grad for k, g in unit.items()}
    swapped_data = evaluate(swapped, inputs) if swapped else None

    def ask(other_expr: str, other_inputs: dict[str, float], **options) -> dict | None:
        try:
            return _clean(observe(other_expr, other_inputs, out_grad, **options))
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

    def why() -> Diagnosis | None:
        evidence = OpEvidence(part, members, Expression(expr), inputs, obs, expected_data, expected, out_grad,
                              swapped_data, bug_grads or {}, separately_ok, ask)
        return diagnose_op(evidence)

    if not obs.get("is_value"):
        fail(ran, "out is a Value", f"a {obs.get('type')} ({show(obs.get('data'))})", why())
    if not close(obs.get("data"), expected_data):
        fail(ran, f"out.data = {show(expected_data)}", f"out.data = {show(obs.get('data'))}", why())
    unreached = [name for name, ok in obs.get("reaches", {}).items() if not ok]
    if unreached:
        fail(ran, f"{', '.join(unreached)} reachable from out through _prev", "not in out's graph", why())
    foreign = obs.get("foreign_in_prev")
    if isinstance(foreign, list) and foreign:
        kinds = ", ".join(str(f.get("type"))[:20] for f in foreign[:3] if isinstance(f, dict))
        fail(ran, "only Values in the graph's _prev", f"_prev holds a plain {kinds}", why())
    if not _grads_close(obs.get("grads"), expected):
        got = {name: _number(obs["grads"].get(name)) for name in inputs}
        fail(ran, "grads " + show(expected), "grads " + show(_plain(obs.get("grads"))), why(),
             case=GradientCase(expr, dict(inputs), out_grad, expected, got))


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


def _clean(obs: dict) -> dict:
    """The observation may be untrusted: ``reaches`` and ``grads`` in the shape the checks read (else empty)."""
    return {**obs, **{key: obs[key] if isinstance(obs.get(key), dict) else {} for key in ("reaches", "grads")}}


def _grads_close(grads: object, expected: dict[str, float]) -> bool:
    return isinstance(grads, dict) and all(close(grads.get(k), v, rel=1e-4, abs_tol=1e-6) for k, v in expected.items())


def _plain(grads: object) -> dict:
    """The observed gradients, for display; anything malformed shows as 'nothing'."""
    return {str(k)[:20]: v for k, v in grads.items()} if isinstance(grads, dict) else {}


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and type(value) is not bool else None


# == backward ===========================================================================
def reachable(nodes: Graph, root: str) -> set[str]:
    seen, stack = set(), [root]
    while stack:
        n = stack.pop()
        if n not in seen:
            seen.add(n)
            stack.extend(nodes[n]["children"])
    return seen


def expected_gradients(nodes: Graph, root: str) -> dict[str, float]:
    """The grader's own propagation: a graph spec lists children first, so reversed order is topological."""
    live = reachable(nodes, root)
    grads = dict.fromkeys(nodes, 0.0)
    grads[root] = 1.0
    for name in reversed(list(nodes)):
        if name in live:
            for child, local in zip(nodes[name]["children"], nodes[name]["local"]):
                grads[child] += local * grads[name]
    return grads


def judge_backward(obs: dict, nodes: Graph, root: str, ran: str) -> None:
    """A ``probes.probe_graph_backward`` observation: every reachable node's ``_backward`` exactly once
    (a leaf's at most once: it does nothing), every inner node after all the nodes that use it, the
    root seeded with 1, and the gradients of the grader's own propagation."""
    structure = obs.get("structure")
    if isinstance(structure, dict):  # the grader's nodes were not linked: say why, judge nothing else
        fail(f"Value(1.0, (child,)): a node built as the contract's constructor says, to run {ran}",
             "child in the node's _prev", "_prev does not hold it", diagnose_structure(structure))
    expected = expected_gradients(nodes, root)
    # A worker caps the list; an untrusted one may not: counted once, not per node.
    raw = obs.get("calls")
    calls = [c for c in raw[:MAX_CALLS] if isinstance(c, str)] if isinstance(raw, list) else []
    observed = obs.get("grads")
    grads = observed if isinstance(observed, dict) else {}

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
        fail(ran, f"{n}.grad = {expected[n]:.6g} ({len(off)} nodes differ)", f"{n}.grad = {show(grads.get(n))}",
             why())
