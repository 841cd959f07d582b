"""The catalogue of known student bugs: observations in, a named bug and its fix out.

Every message a student can get about a known bug is written here.  Each
rule looks only at observations and expectations the checks already hold;
where the evidence is ambiguous a rule returns None and the check reports the
observation alone.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from typing import ClassVar

from .oracles.numeric import close
from .sandbox.runtime.probes import outputs_first

# Short names of the catalogued bugs (used in reports and class summaries) -> advice.
BUGS = {
    "backward-not-underscore": (
        "the result's _backward never runs: you assigned `out.backward = ...` instead of "
        "`out._backward = ...`"
    ),
    "backward-never-set": "the result's `_backward` is never set, so no gradient reaches the inputs",
    "assign-not-accumulate": (
        "a value used twice gets only one contribution: use `+=`, not `=`, in `_backward` "
        "(`self.grad += ...`)"
    ),
    "missing-chain-factor": "the local gradient is not multiplied by `out.grad` (the chain rule's factor)",
    "not-a-value": "the operation returns a plain number, not a Value, so no gradient can flow through it",
    "detached": "the result's `_prev` does not lead back to the operand, so the operand is not in the graph",
    "missing-reflected": (
        "a number on the left (`2 + a`, `sum(...)`) fails: define the reflected method "
        "(`__radd__`, `__rmul__`, `__rsub__` or `__rtruediv__`)"
    ),
    "reflected-swapped": "the reflected operation has its operands swapped: `2 - a` is `2 + (-a)`, `2 / a` is `2 * a**-1`",
    "number-not-wrapped": "a plain number is not wrapped: start with `other = other if isinstance(other, Value) else Value(other)`",
    "neg-detached": "`__neg__` builds a new leaf: return `self * -1` so that the result stays in the graph",
    "pow-exponent-not-reduced": "the power rule is k * x**(k-1): the exponent must be reduced by one",
    "exp-grad-uses-input": "d(e**x)/dx is e**x (`out.data`), not x",
    "tanh-overflow": "tanh overflows for large inputs: use `math.tanh`, or a formula that never computes e**(2x) for large x",
    "tanh-grad": "d tanh(x)/dx is 1 - tanh(x)**2",
    "relu-grad-at-zero": "relu'(0) must be 0 (as in PyTorch): pass the gradient only where `out.data > 0`",
    "relu-grad": "relu passes the gradient where the input is positive and nothing elsewhere",
    "backward-no-topo": "`backward` does not visit nodes in reverse topological order: a node passes its gradient on before it has received all of it",
    "backward-no-visited": "`backward` calls some `_backward` more than once: keep a visited set so that a reused node is visited once",
    "backward-not-reversed": "`backward` calls inputs before outputs: iterate over `reversed(topo)`",
    "backward-no-seed": "`backward` does not seed `self.grad = 1` before propagating",
    "backward-skips-nodes": (
        "`backward` never calls the `_backward` of some nodes it can reach: walk every node in `_prev`, "
        "recursively, not just the root's direct inputs"
    ),
    "truediv-numerator-detached": (
        "`a / b` leaves `a` out of the graph (it gets no gradient): return `self * other**-1`, "
        "not `self.data * ...` or a fresh `Value(self.data)`"
    ),
    "data-is-value": "`out.data` holds a Value, not a number: compute the result from each operand's `.data`",
    "shared-weights": "the weights are one shared Value: `[Value(...)] * nin` repeats one object; build each with a comprehension",
    "bias-missing-from-parameters": "the bias is missing from `parameters()` (it should be `w + [b]`)",
    "bias-missing-from-forward": "the forward pass ignores the bias: start the sum at `self.b`",
    "layer-always-list": "a Layer with a single neuron must return that Value itself, not a one-element list",
    "mlp-last-layer": "the MLP drops or mis-activates its last layer: layer i maps sizes[i] to sizes[i+1], and only the last uses output_activation",
    "zero-grad-rebinds": "`zero_grad` assigns to the loop variable (`p = 0`), which changes nothing: set `p.grad = 0`",
    "train-no-zero-grad": "the training loop never zeroes the gradients, so each step follows the sum of all past gradients",
    "train-zero-after-backward": "the gradients are zeroed after `backward()` (and before the update), so the update uses zero gradients",
    "sgd-wrong-sign": "the update goes uphill: it must be `p.data -= lr * p.grad`",
    "mse-sum": "`mse_loss` returns the sum; the contract asks for the MEAN",
}


def advice(bug: str) -> str:
    return f"{BUGS[bug]} [{bug}]"


# -- errors raised by student code ---------------------------------------------
_REFLECTED_ERROR = re.compile(r"unsupported operand type\(s\) for ([^:]+): '(int|float)' and '")
_UNWRAPPED_ERROR = re.compile(r"'(int|float)' object has no attribute '(data|grad|_prev|_backward)'")
# `out.backward = ...` on a class with __slots__ (backward is a method, so the slot-less name is read-only)
_BACKWARD_READONLY_ERROR = re.compile(r"object attribute 'backward' is read-only")


def diagnose_error(part: str, error: dict) -> str | None:
    """A known bug behind an exception the student's code raised, if any."""
    message = error.get("message", "")
    kind = error.get("type", "")
    engine = _engine_error(part, kind, message)
    if engine:
        return engine
    if kind == "NotImplementedError":
        return "this is still the skeleton's stub: write the code in place of `raise NotImplementedError`"
    return None


# == engine rules ================================================================
def _engine_error(part: str, kind: str, message: str) -> str | None:
    """Engine bugs recognisable from the exception alone."""
    if kind == "TypeError" and _REFLECTED_ERROR.search(message):
        return advice("missing-reflected")
    if kind == "AttributeError" and _UNWRAPPED_ERROR.search(message):
        return advice("number-not-wrapped")
    if kind == "AttributeError" and _BACKWARD_READONLY_ERROR.search(message):
        return advice("backward-not-underscore")
    if kind == "OverflowError" and part == "tanh":
        return advice("tanh-overflow")
    return None


# -- engine operations -----------------------------------------------------------
def diagnose_op(part: str, expr: str, inputs: dict, obs: dict, expected_data: float,
                expected_grads: dict, out_grad: float, swapped_data: float | None = None, *,
                bug_grads: dict[str, dict[str, float]] | None = None,
                separately_ok: bool | None = None,
                ask: Callable[[str, dict], dict | None] | None = None) -> str | None:
    """Name the bug behind a wrong operation result, from the probe's observation.

    ``bug_grads`` maps a catalogued bug to the gradients that bug would give
    (for cases where the check can state them, e.g. relu at its kink).
    ``separately_ok`` says whether the same expression with every reused
    operand replaced by a distinct Value of the same value came out right
    (None: not tried): reuse alone failing means contributions are lost.
    ``ask(expr, inputs)`` runs another expression in the same worker (None if
    it raised), for rules that need a second observation.
    """
    if not obs.get("is_value"):
        return advice("not-a-value")
    if obs.get("data") is None and obs.get("data_type") == obs.get("type"):
        return advice("data-is-value")
    data_ok = close(obs.get("data"), expected_data)
    if not data_ok and swapped_data is not None and close(obs.get("data"), swapped_data):
        return advice("reflected-swapped")
    if not data_ok:
        if part == "tanh" and not _finite(obs.get("data")) and max(abs(v) for v in inputs.values()) > 300:
            return advice("tanh-overflow")
        return None
    reaches = obs.get("reaches", {})
    unreached = [name for name, ok in reaches.items() if not ok]
    if unreached:
        if part == "neg_sub" and (expr.startswith("-") or _negation_detached(ask, inputs)):
            return advice("neg-detached")
        if part == "truediv" and (_numerator_names(expr) & set(unreached) or _numerator_detached(ask, inputs)):
            return advice("truediv-numerator-detached")
        return advice("detached")
    grads = obs.get("grads", {})
    names = list(expected_grads)
    # Some computed node holds a `backward` attribute of its own, or never got a `_backward`.
    if obs.get("has_backward_attribute"):
        return advice("backward-not-underscore")
    if obs.get("backward_unset"):
        return advice("backward-never-set")
    if part == "neg_sub" and _negation_detached(ask, inputs):
        return advice("neg-detached")
    if part == "truediv" and _numerator_detached(ask, inputs):
        return advice("truediv-numerator-detached")
    for bug, wrong in (bug_grads or {}).items():
        if all(close(grads.get(n), g, rel=1e-4, abs_tol=1e-6) for n, g in wrong.items()):
            return advice(bug)
    if any(_uses_twice(expr, n) for n in names) and separately_ok:
        return advice("assign-not-accumulate")
    if out_grad != 1 and all(close(grads.get(n), expected_grads[n] / out_grad) for n in names):
        return advice("missing-chain-factor")
    if part == "exp" and all(close(grads.get(n), inputs[n] * out_grad) for n in names):
        return advice("exp-grad-uses-input")
    simulated = _matching_simulated_bug(part, expr, inputs, out_grad, grads, expected_grads)
    if simulated:
        return advice(simulated)
    if part == "pow":
        return _diagnose_pow(expr, inputs, grads, out_grad)
    # A lone elementary function with the right value and a wrong gradient: its local derivative is wrong.
    if part == "tanh" and re.fullmatch(r"a\.tanh\(\)", expr):
        return advice("tanh-grad")
    if part == "relu" and re.fullmatch(r"a\.relu\(\)", expr):
        return advice("relu-grad-at-zero") if inputs.get("a") == 0 else advice("relu-grad")
    return None


def _negation_detached(ask: Callable[[str, dict], dict | None] | None, inputs: dict) -> bool:
    """Does ``-x`` alone come back as a Value that does not reach ``x``?"""
    if ask is None or not inputs:
        return False
    name = next(iter(inputs))
    obs = ask(f"-{name}", {name: inputs[name]})
    return bool(obs and obs.get("is_value") and obs.get("reaches") and not all(obs["reaches"].values()))


def _numerator_detached(ask: Callable[[str, dict], dict | None] | None, inputs: dict) -> bool:
    """Does ``x / y`` of two Values alone come back as a Value that does not reach ``x``?"""
    if ask is None or not inputs:
        return False
    x = next(iter(inputs.values()))
    obs = ask("x / y", {"x": x, "y": 2.0})
    return bool(obs and obs.get("is_value") and obs.get("reaches", {}).get("x") is False)


def _finite(x) -> bool:
    return type(x) in (int, float) and math.isfinite(x)


def _uses_twice(expr: str, name: str) -> bool:
    return len(re.findall(rf"\b{name}\b", expr)) > 1


def _numerator_names(expr: str) -> set[str]:
    """The input names in the left operand of a top-level ``x / y`` (``a`` in ``a / b``)."""
    match = re.fullmatch(r"\(?([^/]+?)\)? / .*", expr)
    return set(re.findall(r"\b[a-z]\b", match.group(1))) if match else set()


def _diagnose_pow(expr: str, inputs: dict, grads: dict, out_grad: float) -> str | None:
    match = re.fullmatch(r"a \*\* \(?(-?[\d.]+)\)?", expr)
    if not match:
        return None
    k, x = float(match.group(1)), inputs["a"]
    if close(grads.get("a"), k * x**k * out_grad):
        return advice("pow-exponent-not-reduced")
    return None


# -- engine operations: simulated bugs ------------------------------------------------
# A tiny engine of the grader's own that can reproduce one catalogued gradient
# bug in the operations of one part, so that a wrong gradient inside a larger
# expression (``(a ** 2) ** 3``, ``a.exp() * b``) can still be named.  Only
# bugs whose effect does not depend on the order of propagation are simulated.
_PART_OPS = {
    "add": {"add"}, "mul": {"mul"}, "pow": {"pow"}, "neg_sub": {"neg", "sub"}, "truediv": {"div"},
    "exp": {"exp"}, "tanh": {"tanh"}, "relu": {"relu"},
}
_SIMULATED_BUGS = {  # bug -> the parts whose ops it can affect
    "missing-chain-factor": set(_PART_OPS),
    "pow-exponent-not-reduced": {"pow"},
    "exp-grad-uses-input": {"exp"},
    "tanh-grad": {"tanh"},
    "relu-grad-at-zero": {"relu"},
}


class _Sim:
    """A float with a gradient tape: ``parents`` holds (node, local derivative) pairs."""

    # The simulated bug and the ops it affects: set for one simulation at a time.
    bug: ClassVar[str | None] = None
    ops: ClassVar[set[str]] = set()

    def __init__(self, data: float, op: str = "", parents: tuple = ()):
        self.data, self.op, self.parents = float(data), op, parents

    @staticmethod
    def _lift(v) -> _Sim:
        return v if isinstance(v, _Sim) else _Sim(v)

    def _make(self, data, op, parents, local_if_buggy=None):
        """A result node; under the simulated bug, an op of the part gets the bug's local derivative."""
        if op in _Sim.ops and local_if_buggy is not None:
            parents = local_if_buggy
        return _Sim(data, op, parents)

    def __add__(self, o):
        o = _Sim._lift(o)
        return self._make(self.data + o.data, "add", ((self, 1.0), (o, 1.0)))

    def __radd__(self, o):
        return _Sim._lift(o) + self

    def __mul__(self, o):
        o = _Sim._lift(o)
        return self._make(self.data * o.data, "mul", ((self, o.data), (o, self.data)))

    def __rmul__(self, o):
        return _Sim._lift(o) * self

    def __neg__(self):
        return self._make(-self.data, "neg", ((self, -1.0),))

    def __sub__(self, o):
        o = _Sim._lift(o)
        return self._make(self.data - o.data, "sub", ((self, 1.0), (o, -1.0)))

    def __rsub__(self, o):
        return _Sim._lift(o) - self

    def __truediv__(self, o):
        o = _Sim._lift(o)
        return self._make(self.data / o.data, "div", ((self, 1 / o.data), (o, -self.data / o.data**2)))

    def __rtruediv__(self, o):
        return _Sim._lift(o) / self

    def __pow__(self, k):
        x = self.data
        wrong = ((self, k * x**k),) if _Sim.bug == "pow-exponent-not-reduced" else None
        return self._make(x**k, "pow", ((self, k * x ** (k - 1)),), wrong)

    def exp(self):
        e = math.exp(self.data)
        wrong = ((self, self.data),) if _Sim.bug == "exp-grad-uses-input" else None
        return self._make(e, "exp", ((self, e),), wrong)

    def tanh(self):
        t = math.tanh(self.data)
        wrong = ((self, 1 - self.data**2),) if _Sim.bug == "tanh-grad" else None
        return self._make(t, "tanh", ((self, 1 - t * t),), wrong)

    def relu(self):
        x = self.data
        wrong = ((self, 1.0 if x >= 0 else 0.0),) if _Sim.bug == "relu-grad-at-zero" else None
        return self._make(max(x, 0.0), "relu", ((self, 1.0 if x > 0 else 0.0),), wrong)


def _simulate(bug: str, part: str, expr: str, inputs: dict, out_grad: float) -> dict[str, float] | None:
    """The gradients ``expr`` would get if the ops of ``part`` had ``bug`` (None if it cannot be run)."""
    _Sim.bug, _Sim.ops = bug, _PART_OPS.get(part, set())
    try:
        leaves = {k: _Sim(v) for k, v in inputs.items()}
        out = eval(expr, {"__builtins__": {}}, dict(leaves))
        if not isinstance(out, _Sim):
            return None
        grad = {id(out): out_grad}
        for node in outputs_first(out, lambda node: (parent for parent, _ in node.parents)):
            g = grad.get(id(node), 0.0)
            chain = 1.0 if bug == "missing-chain-factor" and node.op in _Sim.ops else g
            for parent, local in node.parents:
                grad[id(parent)] = grad.get(id(parent), 0.0) + local * chain
        return {k: grad.get(id(leaf), 0.0) for k, leaf in leaves.items()}
    except (ArithmeticError, ValueError, TypeError):
        return None
    finally:
        _Sim.bug, _Sim.ops = None, set()


def _matching_simulated_bug(part: str, expr: str, inputs: dict, out_grad: float, grads: dict,
                            expected: dict) -> str | None:
    """The one simulated bug whose gradients the observation matches (and the right answer does not)."""
    matches = []
    for bug, parts in _SIMULATED_BUGS.items():
        if part not in parts:
            continue
        wrong = _simulate(bug, part, expr, inputs, out_grad)
        if wrong is None or all(close(wrong[k], expected[k], rel=1e-4, abs_tol=1e-6) for k in expected):
            continue  # this case cannot tell the bug from the right answer
        if all(close(grads.get(k), wrong[k], rel=1e-4, abs_tol=1e-6) for k in expected):
            matches.append(bug)
    return matches[0] if len(matches) == 1 else None


def diagnose_graph(expr: str, inputs: dict, obs: dict, expected_grads: dict) -> str | None:
    """A whole expression with the student's ops and ``backward()`` came out wrong: which bug, if one fits.

    Only unambiguous evidence: the root not seeded with 1, or exactly one
    simulated op bug (in any part) reproducing every gradient.
    """
    if obs.get("out_grad") is not None and not close(obs.get("out_grad"), 1.0):
        return advice("backward-no-seed")
    grads = obs.get("grads") if isinstance(obs.get("grads"), dict) else {}
    found = set()
    for part in _PART_OPS:
        bug = _matching_simulated_bug(part, expr, inputs, 1.0, grads, expected_grads)
        if bug:
            found.add((bug, part))
    if len(found) == 1:
        bug, part = found.pop()
        return f"in `{part}`: {advice(bug)}"
    return None


# -- engine backward --------------------------------------------------------------
def diagnose_backward(nodes: dict[str, dict], root: str, obs: dict, expected_grads: dict[str, float]) -> str | None:
    """Name the bug behind a wrong ``backward()``, from the order of ``_backward`` calls.

    ``nodes``: name -> {"children": [...]} as the grader built the graph;
    ``obs["calls"]``: the names whose ``_backward`` ran, in order.
    """
    calls = obs.get("calls") or []
    grads = obs.get("grads", {})
    reachable, stack = set(), [root]
    while stack:
        name = stack.pop()
        if name not in reachable:
            reachable.add(name)
            stack.extend(nodes[name]["children"])
    internal = [n for n in nodes if n in reachable and nodes[n]["children"]]
    tally = Counter(calls)
    counts = {n: tally[n] for n in nodes}
    if any(counts[n] > 1 for n in nodes):
        return advice("backward-no-visited")
    if calls and all(close(grads.get(n), 0.0) for n in nodes if n != root) and any(
        abs(g) > 1e-9 for n, g in expected_grads.items() if n != root
    ):
        return advice("backward-no-seed")
    if any(counts[n] == 0 for n in internal):
        return advice("backward-skips-nodes")
    first: dict[str, int] = {}
    for i, name in enumerate(calls):
        first.setdefault(name, i)
    position = {n: first[n] for n in nodes if counts[n]}
    edges = [(p, c) for p in internal for c in set(nodes[p]["children"]) if nodes[c]["children"]]
    judged = [(p, c) for p, c in edges if p in position and c in position]
    wrong = [(p, c) for p, c in judged if position[p] > position[c]]
    if judged and len(wrong) == len(judged):
        return advice("backward-not-reversed")
    if wrong:
        return advice("backward-no-topo")
    return None


# -- nn.py and train.py ------------------------------------------------------------
# These rules compare an observation with "hypotheses": what a known wrong
# implementation would have produced, computed by the check with its trusted
# oracle (e.g. the same network without biases).  A bug is named only when
# the evidence points to exactly one; otherwise the check reports the
# observation alone.
def _all_close(got, expected, rel: float, abs_tol: float) -> bool:
    if isinstance(expected, (int, float)):
        return close(got, float(expected), rel=rel, abs_tol=abs_tol)
    return (isinstance(got, list) and isinstance(expected, list) and len(got) == len(expected)
            and all(close(g, e, rel=rel, abs_tol=abs_tol) for g, e in zip(got, expected)))


def _one_matching(got, hypotheses: dict[str, object] | None, rel: float = 1e-6, abs_tol: float = 1e-9) -> str | None:
    """The bug whose hypothesis matches ``got``, when exactly one bug does.

    ``hypotheses`` maps a BUGS key to the expected observation (a number or a
    list of numbers), or to a list of such alternatives under the key
    ``"<key>"`` (several wrong programs can show the same bug).
    """
    matched = set()
    for bug, predicted in (hypotheses or {}).items():
        options = predicted if isinstance(predicted, tuple) else (predicted,)
        if any(_all_close(got, option, rel, abs_tol) for option in options):
            matched.add(bug)
    return advice(matched.pop()) if len(matched) == 1 else None


def diagnose_nn(aspect: str, obs: dict, outputs_if: dict[str, object] | None = None,
                shape_if: dict[str, object] | None = None) -> str | None:
    """Name the bug behind a failed nn check.

    ``aspect`` is what the check looked at: "parameters", "shape", "forward",
    "gradients", "single_output" or "zero_grad".  ``obs`` is the nn probe's
    observation (structure facts come with every one of them).
    ``outputs_if`` / ``shape_if``: BUGS key -> outputs / layer shape that bug
    would give (a tuple of options when it has several forms).
    """
    # Structure first: it explains every downstream symptom.
    if obs.get("weights_shared"):
        return advice("shared-weights")
    if aspect in ("parameters", "zero_grad") and obs.get("weights_in_params") and obs.get("biases_in_params") is False:
        return advice("bias-missing-from-parameters")
    if aspect == "single_output" and obs.get("returns_sequence") and obs.get("n_outputs") == 1:
        return advice("layer-always-list")
    if aspect == "zero_grad":
        before, after = obs.get("grads"), obs.get("grads_after_zero_grad")
        if (isinstance(before, list) and before == after and any(g != 0 for g in before)):
            return advice("zero-grad-rebinds")  # not one gradient changed
        return None
    if shape_if and "shape" in obs:
        known = [bug for bug, shape in shape_if.items() if obs["shape"] == shape]
        if len(known) == 1:
            return advice(known[0])
    if aspect in ("forward", "gradients", "single_output"):
        return _one_matching(obs.get("outputs"), outputs_if)
    return None


def diagnose_loss(got: float | None, value_if: dict[str, object]) -> str | None:
    """Name the bug behind a wrong loss value (e.g. ``{"mse-sum": the sum}``)."""
    return _one_matching(got, value_if)


def diagnose_training(got: list | None, observed_if: dict[str, object]) -> str | None:
    """Name the bug behind a wrong loss history or ``sgd_step`` result.

    ``observed_if``: BUGS key -> what the known wrong loop would have produced
    (a torch replica of it), e.g. ``"train-no-zero-grad"`` -> its loss history.
    """
    return _one_matching(got, observed_if, rel=1e-7, abs_tol=1e-12)
