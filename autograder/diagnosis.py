"""The catalogue of known student bugs: observations in, a named bug and its fix out.

Every message a student can get about a known bug is written here.  Each
rule looks only at observations and expectations the checks already hold;
where the evidence is ambiguous a rule returns None and the check reports the
observation alone.
"""

from __future__ import annotations

import re

from .oracles.numeric import close

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


def diagnose_error(part: str, error: dict) -> str | None:
    """A known bug behind an exception the student's code raised, if any."""
    message = error.get("message", "")
    kind = error.get("type", "")
    if kind == "TypeError" and _REFLECTED_ERROR.search(message):
        return advice("missing-reflected")
    if kind == "AttributeError" and _UNWRAPPED_ERROR.search(message):
        return advice("number-not-wrapped")
    if kind == "OverflowError" and part == "tanh":
        return advice("tanh-overflow")
    if kind == "NotImplementedError":
        return "this is still the skeleton's stub: write the code in place of `raise NotImplementedError`"
    return None


# -- engine operations -----------------------------------------------------------
def diagnose_op(part: str, expr: str, inputs: dict, obs: dict, expected_data: float,
                expected_grads: dict, out_grad: float, swapped_data: float | None = None) -> str | None:
    """Name the bug behind a wrong operation result, from the probe's observation."""
    if not obs.get("is_value"):
        return advice("not-a-value")
    data_ok = close(obs.get("data"), expected_data)
    if not data_ok and swapped_data is not None and close(obs.get("data"), swapped_data):
        return advice("reflected-swapped")
    reaches = obs.get("reaches", {})
    unreached = [name for name, ok in reaches.items() if not ok]
    if data_ok and unreached:
        return advice("neg-detached") if part == "neg_sub" and expr.startswith("-") else advice("detached")
    grads = obs.get("grads", {})
    if data_ok and all(g == 0 for g in grads.values()) and any(abs(e) > 1e-9 for e in expected_grads.values()):
        if obs.get("has_backward_attribute"):
            return advice("backward-not-underscore")
        if obs.get("backward_unset"):
            return advice("backward-never-set")
    if not data_ok:
        return None
    names = list(expected_grads)
    if any(_uses_twice(expr, n) for n in names) and all(
        close(grads.get(n), expected_grads[n] / 2) or close(grads.get(n), expected_grads[n]) for n in names
    ):
        return advice("assign-not-accumulate")
    if out_grad != 1 and all(close(grads.get(n), expected_grads[n] / out_grad) for n in names):
        return advice("missing-chain-factor")
    if part == "exp" and all(close(grads.get(n), inputs[n] * out_grad) for n in names):
        return advice("exp-grad-uses-input")
    if part == "pow":
        return _diagnose_pow(expr, inputs, grads, out_grad)
    if part == "tanh":
        return advice("tanh-grad")
    if part == "relu":
        at_zero = [n for n in names if inputs[n] == 0]
        return advice("relu-grad-at-zero") if at_zero else advice("relu-grad")
    return None


def _uses_twice(expr: str, name: str) -> bool:
    return len(re.findall(rf"\b{name}\b", expr)) > 1


def _diagnose_pow(expr: str, inputs: dict, grads: dict, out_grad: float) -> str | None:
    match = re.fullmatch(r"a \*\* \(?(-?[\d.]+)\)?", expr)
    if not match:
        return None
    k, x = float(match.group(1)), inputs["a"]
    if close(grads.get("a"), k * x**k * out_grad):
        return advice("pow-exponent-not-reduced")
    return None
