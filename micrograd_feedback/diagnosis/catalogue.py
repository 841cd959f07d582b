"""The catalogue of known student bugs: every message a student can get about one.

Each bug has a short key (used in reports and class summaries) and the advice
a student reads.  Rules (``engine.py``, ``nn.py``) decide from observations
which bug, if any, a failure shows; ``advice`` turns a key into a
``Diagnosis``.
"""

from __future__ import annotations

import re

from ..result import Diagnosis

BUGS: dict[str, str] = {
    "still-a-stub": "this is still the skeleton's stub: write the code in place of `raise NotImplementedError`",
    "backward-not-underscore": (
        "the result's _backward never runs: you assigned `out.backward = ...` instead of "
        "`out._backward = ...`"
    ),
    "backward-never-set": (
        "the result's `_backward` is never assigned, so no gradient reaches the inputs: after "
        "`def _backward(): ...`, set `out._backward = _backward`"
    ),
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
    # -- structure: what every check relies on (the contract's Value), checked before any formula --
    "prev-named-otherwise": (
        "the operands are kept in `{attribute}`, not in `_prev`: the contract (and so the grader) finds "
        "the Values a node was computed from in `_prev`; rename `{attribute}` to `_prev`"
    ),
    "prev-missing": (
        "a computed Value has no `_prev`: keep the Values it was computed from in `_prev` "
        "(`Value(data, (self, other), op)` with `self._prev = set(_children)`)"
    ),
    "constructor-order": (
        "the grader builds a node as `Value(data, children)`, in the contract's order "
        "`Value(data, _children=(), _op='', label='')`; your `__init__` takes `({parameters})`, so the "
        "children land in `{second}` and `_prev` stays empty: make `_children` the second parameter"
    ),
    "exponent-in-prev": (
        "`_prev` holds the exponent ({value}), a plain number: only Values belong in the graph. "
        "In `__pow__` the exponent is a constant: build the result with `(self,)` as its children"
    ),
    "number-in-prev": (
        "`_prev` holds a plain {type}, not a Value: wrap numbers with `Value(...)` before "
        "building the result, so that `_prev` holds only Values"
    ),
    "grad-flag-off": (
        "gradients are switched off by `{flag}`, which is False for `Value(x)`: the grader (and the "
        "contract) builds leaves as `Value(x)` and expects them to receive gradients; default `{flag}` "
        "to True, or drop the flag"
    ),
    "method-missing": (
        "`Value` has no `{method}`: the contract's Value defines it, and this part's checks call it"
    ),
    "mul-grad-for-data": (
        "`__mul__`'s `_backward` multiplies by the other operand's `.grad` instead of its `.data`: "
        "d(a*b)/da is b's value, so `self`'s share uses `other.data` (and `other`'s uses `self.data`)"
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
    # -- shapes seen in public micrograd engines (issue 24) --
    "exponent-wrapped": (
        "`__pow__` wraps the exponent in a Value and then raises a number to it (`self.data ** other`): "
        "the exponent is a plain int or float; keep it one (`assert isinstance(other, (int, float))`) and "
        "use it as it is"
    ),
    "grad-is-a-method": (
        "`grad` is a method of your class, not a number, so `.grad += ...` fails: make it an attribute "
        "(`self.grad = 0.0` in `__init__`) and give the method another name"
    ),
    "backward-takes-an-argument": (
        "`_backward` is called with no argument (`node._backward()`), but yours takes one: define it "
        "inside the operation as `def _backward():` (a closure that sees `self`, `other` and `out`)"
    ),
    "returns-none": (
        "an operation returns None (no `return out` at its end), so the next operation gets None: end "
        "every operation with `return out`"
    ),
    "backward-calls-nothing": (
        "`backward()` calls no node's `_backward` at all: after ordering the nodes, call "
        "`node._backward()` for each, in reverse topological order, with `self.grad = 1` first"
    ),
    "constructor-signature": (
        "`Value(...)` is called with more arguments than `Value.__init__` takes: give `__init__` the "
        "contract's parameters `(data, _children=(), _op='', label='')`, even if your code never uses "
        "`_op` or `label`"
    ),
    "prev-not-iterable": (
        "`_prev` holds a {type}, which cannot be iterated, so nothing can walk the graph: keep the operands "
        "in a set or tuple (`self._prev = set(_children)`)"
    ),
}


# What an observation shows when no catalogued bug is singled out: said plainly, as a question.
OBSERVATIONS: dict[str, str] = {
    # A cascade: this check's case calls another part's member, whose own checks fail.
    "uses-a-wrong-part": (
        "this uses your {members}, which {verb} wrong (part `{part}`): fix `{part}` first; the code "
        "checked here may be right once it is"
    ),
    "no-gradient": (
        "every gradient stayed 0: does the result's `_backward` run at all, and does it add into the "
        "operands' `.grad`?"
    ),
}


def advice(key: str, where: str = "", **facts: str) -> Diagnosis:
    """The diagnosis for catalogued bug (or observation) ``key``; ``where``: the part whose code has it,
    if not this one; ``facts``: the names a message quotes (an attribute, a method), already checked."""
    text = BUGS.get(key) or OBSERVATIONS[key]
    return Diagnosis(key, text.format(**facts) if facts else text, where, observation=key in OBSERVATIONS)


def generic(key: str) -> str:
    """A catalogue entry without the facts of one submission (for class summaries)."""
    return re.sub(r"\{\w+\}", "...", BUGS.get(key) or OBSERVATIONS.get(key, ""))
