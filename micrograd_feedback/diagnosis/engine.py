"""Rules that name an engine bug: from an exception, an operation's observation, a ``backward`` run.

Each rule is a small predicate registered with the bug it names, the parts it
applies to (None: every part of its kind) and a priority (lower first).  A
rule states its whole premise, so it can be tested alone and never fires on a
submission that contradicts it; the first rule that holds names the bug, and
when none holds the check reports the observation alone.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from ..expressions import Expression
from ..numeric import close
from ..probes import CHILDREN_NAMES
from ..result import Diagnosis
from .catalogue import advice
from .simulate import simulate

Ask = Callable[..., "dict | None"]


@dataclass(frozen=True)
class Rule:
    name: str
    key: str  # the bug it names ("*": the key the evidence states, see ``stated_gradients``)
    priority: int
    parts: frozenset[str] | None  # None: every part the rule list is for
    holds: Callable[..., bool | str | None]


def register(rules: list[Rule], key: str, priority: int, parts: set[str] | None = None):
    """Add the decorated predicate to ``rules`` (kept sorted by priority)."""
    def decorate(holds: Callable[..., bool | str | None]) -> Callable[..., bool | str | None]:
        rules.append(Rule(holds.__name__, key, priority, frozenset(parts) if parts else None, holds))
        rules.sort(key=lambda r: r.priority)
        return holds

    return decorate


def first_match(rules: list[Rule], part: str, evidence: object) -> Diagnosis | None:
    for rule in rules:
        if rule.parts is not None and part not in rule.parts:
            continue
        found = rule.holds(evidence)
        if isinstance(found, Diagnosis):
            return found
        if found:
            return advice(found if isinstance(found, str) else rule.key)
    return None


def no_gradient(grads: dict, expected: dict[str, float]) -> bool:
    """Every gradient came back exactly 0 where some should not be."""
    return all(grads.get(n) == 0 for n in expected) and any(abs(g) > 1e-9 for g in expected.values())


NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")


def quoted(name: object) -> str | None:
    """An identifier from an observation, safe to quote in a message (None if it is not one)."""
    return name if isinstance(name, str) and NAME.fullmatch(name) else None


# == errors raised by student code ================================================
ERROR_RULES: list[Rule] = []
error_rule = lambda key, priority, parts=None: register(ERROR_RULES, key, priority, parts)  # noqa: E731


@dataclass(frozen=True)
class ErrorEvidence:
    part: str
    kind: str  # the exception's type name
    message: str


@error_rule("exponent-wrapped", 5, {"pow"})
def exponent_wrapped_into_a_value(e: ErrorEvidence) -> bool:
    """A number raised to a Value: ``__pow__`` wrapped its exponent and then used it as ``self.data ** other``."""
    return e.kind == "TypeError" and bool(
        re.search(r"unsupported operand type\(s\) for \*\* or pow\(\): '(int|float)' and '(?!int'|float')\w+'",
                  e.message))


@error_rule("returns-none", 6)
def an_operation_returned_none(e: ErrorEvidence) -> bool:
    """None met as an operand or a node: some operation returned nothing."""
    return (e.kind == "TypeError" and "'NoneType'" in e.message) or (
        e.kind == "AttributeError" and e.message.startswith("'NoneType' object has no attribute"))


@error_rule("grad-is-a-method", 7)
def grad_defined_as_a_method(e: ErrorEvidence) -> bool:
    """``.grad += ...`` on a bound method: the class defines ``grad`` as a method."""
    return e.kind == "TypeError" and bool(
        re.search(r"unsupported operand type\(s\) for \+=?: '(method|function)' and", e.message))


@error_rule("backward-takes-an-argument", 8)
def backward_closure_takes_an_argument(e: ErrorEvidence) -> bool:
    return e.kind == "TypeError" and bool(re.search(r"_backward\(\) missing 1 required positional argument",
                                                    e.message))


@error_rule("constructor-signature", 9)
def constructor_cannot_take_the_contracts_arguments(e: ErrorEvidence) -> bool:
    """``Value(...)`` refused its arguments: the constructor takes fewer parameters than its callers pass."""
    return e.kind == "TypeError" and bool(re.search(
        r"__init__\(\) takes from \d to [23] positional arguments but [34] were given"
        r"|__init__\(\) takes [12] positional arguments? but [34] were given", e.message))


@error_rule("missing-reflected", 10)
def number_on_the_left_fails(e: ErrorEvidence) -> bool:
    return e.kind == "TypeError" and bool(
        re.search(r"unsupported operand type\(s\) for (?!\*\*)[^:]+: '(int|float)' and '", e.message))


@error_rule("number-not-wrapped", 20)
def number_used_as_a_value(e: ErrorEvidence) -> bool:
    """``other.data`` on a plain number: the operation did not wrap it."""
    return e.kind == "AttributeError" and bool(
        re.search(r"'(int|float)' object has no attribute '(data|grad)'", e.message))


@error_rule("number-in-prev", 21)
def number_walked_as_a_node(e: ErrorEvidence) -> Diagnosis | None:
    """A backward pass met a plain number in ``_prev`` (it has no ``_prev``/``_backward``)."""
    found = re.search(r"'(int|float)' object has no attribute '(_prev|_backward)'", e.message) \
        if e.kind == "AttributeError" else None
    return advice("number-in-prev", type=found.group(1)) if found else None


@error_rule("backward-not-underscore", 30)
def backward_assigned_under_slots(e: ErrorEvidence) -> bool:
    """``out.backward = ...`` on a class with __slots__: the method's name is read-only there."""
    return e.kind == "AttributeError" and "object attribute 'backward' is read-only" in e.message


MISSING_OPERATOR = {  # Python's words for an operator the class lacks -> the method to define
    r"bad operand type for unary -: '(?!int|float)": "__neg__",
    r"unsupported operand type\(s\) for \*\* or pow\(\): '(?!int|float)\w+' and": "__pow__",
    r"unsupported operand type\(s\) for -: '(?!int|float)\w+' and": "__sub__",
    r"unsupported operand type\(s\) for /: '(?!int|float)\w+' and": "__truediv__",
    r"unsupported operand type\(s\) for \*: '(?!int|float)\w+' and": "__mul__",
    r"unsupported operand type\(s\) for \+: '(?!int|float)\w+' and": "__add__",
}
CONTRACT_METHODS = ("exp", "tanh", "relu", "backward")


@error_rule("method-missing", 15)
def a_contract_method_is_missing(e: ErrorEvidence) -> Diagnosis | None:
    """The check called a method or operator of the contract that the class does not define."""
    if e.kind == "AttributeError":
        found = re.search(r"'(?!int'|float')\w+' object has no attribute '(\w+)'", e.message)
        if found and found.group(1) in CONTRACT_METHODS:
            return advice("method-missing", method=f"{found.group(1)}()")
    if e.kind == "TypeError":
        for pattern, method in MISSING_OPERATOR.items():
            if re.search(pattern, e.message):
                return advice("method-missing", method=method)
    return None


@error_rule("tanh-overflow", 40, {"tanh"})
def tanh_raises_overflow(e: ErrorEvidence) -> bool:
    return e.kind == "OverflowError"


@error_rule("still-a-stub", 50)
def stub_not_replaced(e: ErrorEvidence) -> bool:
    return e.kind == "NotImplementedError"


def diagnose_error(part: str, error: dict) -> Diagnosis | None:
    """A known bug behind an exception the student's code raised, if any."""
    evidence = ErrorEvidence(part, str(error.get("type", "")), str(error.get("message", "")))
    return first_match(ERROR_RULES, part, evidence)


# == engine operations ==============================================================
OP_RULES: list[Rule] = []
op_rule = lambda key, priority, parts=None: register(OP_RULES, key, priority, parts)  # noqa: E731
GRADS = {"rel": 1e-4, "abs_tol": 1e-6}


@dataclass
class OpEvidence:
    """What an operation check knows: the case, the observation, the truth, and ways to ask more.

    ``bug_grads``: per catalogued bug, the gradients that bug would give (stated by
    a check where it can, e.g. relu at its kink).  ``separately_ok()``: is the same
    arithmetic right when no operand is reused (None: not applicable)?  ``ask``
    runs another expression in the same worker (None if it raised).
    """

    part: str  # the part being checked
    members: frozenset[str]  # its members (``__add__``, ``exp``, ...): where a simulated bug goes
    expr: Expression
    inputs: dict[str, float]
    obs: dict
    expected_data: float
    expected_grads: dict[str, float]
    out_grad: float
    swapped_data: float | None = None
    bug_grads: dict[str, dict[str, float]] = field(default_factory=dict)
    separately_ok: Callable[[], bool | None] = lambda: None
    ask: Ask | None = None

    @cached_property
    def data_ok(self) -> bool:
        return bool(self.obs.get("is_value")) and close(self.obs.get("data"), self.expected_data)

    @cached_property
    def unreached(self) -> list[str]:
        reaches = self.obs.get("reaches")
        return [name for name, ok in reaches.items() if not ok] if isinstance(reaches, dict) else []

    @cached_property
    def in_graph(self) -> bool:
        """The value is right and every input is in its graph: the premise of every gradient rule."""
        return self.data_ok and not self.unreached

    @cached_property
    def grads(self) -> dict:
        grads = self.obs.get("grads")
        return grads if isinstance(grads, dict) else {}

    def grads_are(self, wanted: dict[str, float]) -> bool:
        return all(close(self.grads.get(n), g, **GRADS) for n, g in wanted.items())

    @cached_property
    def all_zero(self) -> bool:
        return no_gradient(self.grads, self.expected_grads)

    @cached_property
    def foreign(self) -> list[dict]:
        """What ``_prev`` holds that is not a Value (validated: the observation is the student's)."""
        found = self.obs.get("foreign_in_prev")
        return [f for f in found[:3] if isinstance(f, dict)] if isinstance(found, list) else []

    @cached_property
    def operands(self) -> dict:
        """Where the result keeps its operands when ``_prev`` does not (``probes.operands_attribute``)."""
        found = self.obs.get("operands")
        return found if isinstance(found, dict) else {}

    @cached_property
    def flags(self) -> list[str]:
        found = self.obs.get("grad_flags")
        return [f for f in (quoted(x) for x in found[:5]) if f] if isinstance(found, list) else []

    @cached_property
    def negation_detached(self) -> bool:
        """Does ``-x`` alone come back as a Value that does not reach ``x``?"""
        if self.ask is None or not self.inputs:
            return False
        name = next(iter(self.inputs))
        obs = self.ask(f"-{name}", {name: self.inputs[name]})
        return bool(obs and obs.get("is_value") and obs.get("reaches") and not all(obs["reaches"].values()))

    @cached_property
    def numerator_detached(self) -> bool:
        """Does ``x / y`` of two Values alone come back as a Value that does not reach ``x``?"""
        if self.ask is None or not self.inputs:
            return False
        obs = self.ask("x / y", {"x": next(iter(self.inputs.values())), "y": 2.0})
        return bool(obs and obs.get("is_value") and obs.get("reaches", {}).get("x") is False)


# -- the result itself ----------------------------------------------------------------
@op_rule("returns-none", 9)
def returns_nothing(e: OpEvidence) -> bool:
    return not e.obs.get("is_value") and e.obs.get("type") == "NoneType"


@op_rule("not-a-value", 10)
def returns_a_number(e: OpEvidence) -> bool:
    return not e.obs.get("is_value")


@op_rule("data-is-value", 20)
def data_holds_a_value(e: OpEvidence) -> bool:
    return bool(e.obs.get("is_value")) and e.obs.get("data") is None and e.obs.get("data_type") == e.obs.get("type")


@op_rule("reflected-swapped", 30)
def reflected_operands_swapped(e: OpEvidence) -> bool:
    return (bool(e.obs.get("is_value")) and not e.data_ok and e.swapped_data is not None
            and close(e.obs.get("data"), e.swapped_data))


@op_rule("tanh-overflow", 40, {"tanh"})
def tanh_overflows_far_out(e: OpEvidence) -> bool:
    data = e.obs.get("data")
    finite = isinstance(data, (int, float)) and math.isfinite(data)
    return bool(e.obs.get("is_value")) and not e.data_ok and not finite and max(map(abs, e.inputs.values())) > 300


# -- structure: what every check relies on, before any formula ---------------------------
def number_in_prev(foreign: object, expr: str) -> Diagnosis | None:
    """``_prev`` holds something that is not a Value (``probes.foreign_in_prev``): the exponent of a
    ``**`` in ``expr`` if its value is one, else a plain number."""
    first = foreign[0] if isinstance(foreign, list) and foreign and isinstance(foreign[0], dict) else None
    if first is None:
        return None
    value = first.get("value")
    exponents = {float(k) for k in re.findall(r"\*\*\s*\(?(-?\d+(?:\.\d+)?)", expr)}
    if isinstance(value, float) and value in exponents:
        return advice("exponent-in-prev", value=f"{value:g}")
    return advice("number-in-prev", type=quoted(first.get("type")) or "number")


@op_rule("exponent-in-prev", 5)
def a_number_in_prev(e: OpEvidence) -> Diagnosis | None:
    return number_in_prev(e.foreign, e.expr.text)


@op_rule("prev-not-iterable", 44)
def prev_cannot_be_walked(e: OpEvidence) -> Diagnosis | None:
    """The result is right and keeps its operands in ``_prev``, but in an object nothing can iterate."""
    kind = quoted(e.obs.get("prev_type"))
    return advice("prev-not-iterable", type=kind) if e.data_ok and e.unreached and kind else None


@op_rule("prev-named-otherwise", 45)
def operands_kept_elsewhere(e: OpEvidence) -> Diagnosis | None:
    """The result is right, its operands are not in ``_prev``: under another name, or nowhere."""
    if not (e.data_ok and e.unreached and e.operands):
        return None
    attribute = quoted(e.operands.get("found_in"))
    if attribute:
        return advice("prev-named-otherwise", attribute=attribute)
    return advice("prev-missing") if e.operands.get("prev") is False else None


# -- the graph ------------------------------------------------------------------------
@op_rule("neg-detached", 50, {"neg_sub"})
def negation_leaves_the_graph(e: OpEvidence) -> bool:
    return e.data_ok and bool(e.unreached) and (e.expr.negates_a_value() or e.negation_detached)


@op_rule("truediv-numerator-detached", 51, {"truediv"})
def numerator_leaves_the_graph(e: OpEvidence) -> bool:
    return e.data_ok and bool(e.unreached) and bool(
        e.expr.numerator_names() & set(e.unreached) or e.numerator_detached)


@op_rule("detached", 52)
def operand_not_in_the_graph(e: OpEvidence) -> bool:
    return e.data_ok and bool(e.unreached)


# -- gradients: the value is right and every input is in the graph ------------------------
@op_rule("backward-not-underscore", 60)
def backward_attribute_instead(e: OpEvidence) -> bool:
    """A computed node holds a `backward` attribute of its own and its _backward was never set."""
    return e.in_graph and bool(e.obs.get("has_backward_attribute"))


@op_rule("backward-never-set", 61)
def backward_never_set(e: OpEvidence) -> bool:
    return e.in_graph and bool(e.obs.get("backward_unset"))


@op_rule("neg-detached", 62, {"neg_sub"})
def negation_alone_leaves_the_graph(e: OpEvidence) -> bool:
    return e.in_graph and e.negation_detached


@op_rule("truediv-numerator-detached", 63, {"truediv"})
def division_alone_leaves_the_numerator(e: OpEvidence) -> bool:
    return e.in_graph and e.numerator_detached


@op_rule("grad-flag-off", 64)
def a_flag_switches_gradients_off(e: OpEvidence) -> Diagnosis | None:
    """No gradient at all, a ``Value(x)`` has a false ``...grad...`` flag, and with it set True the
    same expression gets exactly the right gradients: the flag, and nothing else, is the bug."""
    if not (e.in_graph and e.all_zero and e.flags and e.ask):
        return None
    obs = e.ask(e.expr.text, e.inputs, enable=e.flags)
    grads = obs.get("grads") if obs else None
    if isinstance(grads, dict) and all(close(grads.get(n), g, **GRADS) for n, g in e.expected_grads.items()):
        return advice("grad-flag-off", flag=e.flags[0])
    return None


@op_rule("mul-grad-for-data", 65, {"mul"})
def mul_uses_the_gradient(e: OpEvidence) -> bool:
    """``a * b + a`` singles it out: a mul whose ``_backward`` never runs leaves ``b.grad`` at 0,
    one that multiplies by ``a.grad`` (already ``g`` from the addition) gives ``b.grad = g*g``."""
    if not (e.in_graph and e.ask):
        return False
    x, y = (list(e.inputs.values()) + [1.5, -2.0])[:2]
    g = e.out_grad
    obs = e.ask("a * b + a", {"a": x, "b": y})
    grads = obs.get("grads") if obs else None
    if not isinstance(grads, dict) or abs(g * g - x * g) < 1e-9:
        return False
    one_order = {"a": g, "b": g * g}  # self first: self.grad += other.grad * out.grad, then other
    other_order = {"a": g + g * g * g, "b": g * g}
    return any(all(close(grads.get(n), v, **GRADS) for n, v in wrong.items()) for wrong in (one_order, other_order))


@op_rule("*", 70)
def stated_gradients(e: OpEvidence) -> str | None:
    """The gradients a bug the check stated would give (e.g. relu'(0) = 1)."""
    if e.in_graph:
        for key, wrong in e.bug_grads.items():
            if e.grads_are(wrong):
                return key
    return None


@op_rule("assign-not-accumulate", 80)
def reuse_loses_a_contribution(e: OpEvidence) -> bool:
    """Wrong only when an input is used twice: the same arithmetic without reuse is right."""
    return e.in_graph and any(e.expr.uses(n) > 1 for n in e.expected_grads) and bool(e.separately_ok())


@op_rule("missing-chain-factor", 90)
def gradient_not_scaled_by_out_grad(e: OpEvidence) -> bool:
    return e.in_graph and e.out_grad != 1 and all(
        close(e.grads.get(n), g / e.out_grad) for n, g in e.expected_grads.items())


@op_rule("exp-grad-uses-input", 100, {"exp"})
def exp_gradient_is_the_input(e: OpEvidence) -> bool:
    return e.in_graph and all(close(e.grads.get(n), e.inputs[n] * e.out_grad) for n in e.expected_grads)


@op_rule("*", 110)
def one_simulated_bug(e: OpEvidence) -> str | None:
    """Exactly one catalogued gradient bug, simulated in this part's operations, gives these gradients."""
    if not e.in_graph:
        return None
    matches = matching_simulations(e.part, e.members, e.expr.text, e.inputs, e.out_grad, e.grads, e.expected_grads)
    return matches[0] if len(matches) == 1 else None


@op_rule("no-gradient", 115)
def no_gradient_at_all(e: OpEvidence) -> bool:
    """Every gradient 0 and no catalogued bug singled out: say what was seen, name no formula."""
    return e.in_graph and e.all_zero


@op_rule("pow-exponent-not-reduced", 120, {"pow"})
def power_rule_without_reduction(e: OpEvidence) -> bool:
    power = e.expr.power_of_input()
    if not e.in_graph or power is None:
        return False
    name, k = power
    return close(e.grads.get(name), k * e.inputs[name] ** k * e.out_grad)


@op_rule("tanh-grad", 130, {"tanh"})
def lone_tanh_gradient_wrong(e: OpEvidence) -> bool:
    """tanh of an input alone, right value, a wrong non-zero gradient: its local derivative is wrong."""
    return e.in_graph and not e.all_zero and e.expr.is_method_of_input("tanh") is not None


@op_rule("relu-grad-at-zero", 140, {"relu"})
def lone_relu_at_zero_gradient_wrong(e: OpEvidence) -> bool:
    name = e.expr.is_method_of_input("relu")
    return e.in_graph and name is not None and e.inputs.get(name) == 0


@op_rule("relu-grad", 141, {"relu"})
def lone_relu_gradient_wrong(e: OpEvidence) -> bool:
    name = e.expr.is_method_of_input("relu")
    return e.in_graph and not e.all_zero and name is not None and e.inputs.get(name) != 0


def diagnose_op(evidence: OpEvidence) -> Diagnosis | None:
    """Name the bug behind a wrong operation result, from the probe's observation."""
    return first_match(OP_RULES, evidence.part, evidence)


def matching_simulations(part: str, members: frozenset[str], expr: str, inputs: dict, out_grad: float,
                         grads: dict, expected: dict) -> list[str]:
    """The simulated bugs of ``part``'s operations whose gradients the observation matches
    (and the right answer does not)."""
    matches = []
    for bug, parts in SIMULATED_BUGS.items():
        if parts is not None and part not in parts:
            continue
        wrong = simulate(bug, set(members), expr, inputs, out_grad)
        if wrong is None or all(close(wrong[k], expected[k], **GRADS) for k in expected):
            continue  # this case cannot tell the bug from the right answer
        if all(close(grads.get(k), wrong[k], **GRADS) for k in expected):
            matches.append(bug)
    return matches


# bug -> the operation parts it can be simulated in (None: every operation)
SIMULATED_BUGS: dict[str, set[str] | None] = {
    "missing-chain-factor": None,
    "pow-exponent-not-reduced": {"pow"},
    "exp-grad-uses-input": {"exp"},
    "tanh-grad": {"tanh"},
    "relu-grad-at-zero": {"relu"},
}


def diagnose_graph(operations: dict[str, frozenset[str]], expr: str, inputs: dict, obs: dict,
                   expected_grads: dict) -> Diagnosis | None:
    """A whole expression with the student's ops and ``backward()`` came out wrong: which bug, if one fits.

    Only unambiguous evidence: the root not seeded with 1, or exactly one
    simulated operation bug (in any operation part) reproducing every gradient.
    """
    structural = number_in_prev(obs.get("foreign_in_prev"), expr)
    if structural:
        return structural
    if obs.get("out_grad") is not None and not close(obs.get("out_grad"), 1.0):
        return advice("backward-no-seed")
    observed = obs.get("grads")
    grads = observed if isinstance(observed, dict) else {}
    if no_gradient(grads, expected_grads):
        return advice("no-gradient")
    found = set()
    for part, members in operations.items():  # a part whose simulations fit twice says nothing
        matches = matching_simulations(part, members, expr, inputs, 1.0, grads, expected_grads)
        if len(matches) == 1:
            found.add((matches[0], part))
    if len(found) == 1:
        bug, part_id = found.pop()
        return advice(bug, where=part_id)
    return None


# == the constructor, as the grader uses it =============================================
OTHER_PARAMETERS = {"op", "label", "name", "data", "grad"}  # the contract's other constructor arguments
def diagnose_structure(structure: dict) -> Diagnosis | None:
    """``Value(data, (child,))`` left ``child`` out of ``_prev`` (``probes.probe_graph_backward``):
    ``_prev`` holds something nothing can iterate, the operands are kept under another name, or the
    constructor takes its children elsewhere."""
    prev_type = quoted(structure.get("prev_type"))
    if prev_type:  # a _prev, but one nothing can walk
        return advice("prev-not-iterable", type=prev_type)
    parameters = [name for name in (quoted(p) for p in (structure.get("parameters") or [])[:8]) if name]
    attribute = quoted(structure.get("found_in")) or quoted(structure.get("landed_in"))
    second = parameters[1] if len(parameters) >= 2 else None
    # Where the children passed second landed: under the second parameter's own name (one that is not another
    # of the contract's parameters, as `label` or `_op` would be), they were taken in the right place and only
    # kept under another name than `_prev`; anywhere else, the order is wrong (and maybe the name too).
    taken_second = (attribute is not None and second is not None and attribute.strip("_") == second.strip("_")
                    and second.strip("_") not in OTHER_PARAMETERS)
    if attribute and (taken_second or second is None or second.strip("_") in CHILDREN_NAMES):
        return advice("prev-named-otherwise", attribute=attribute)
    if second is not None and second.strip("_") not in CHILDREN_NAMES and not taken_second:
        order = advice("constructor-order", parameters=", ".join(parameters), second=second)
        if structure.get("prev") is False:  # both: the order, and no _prev to keep them in
            return Diagnosis(order.key, order.advice + "; and keep the children in `_prev`", order.where)
        return order
    return advice("prev-missing") if structure.get("prev") is False else None


# == backward ==========================================================================
BACKWARD_RULES: list[Rule] = []
backward_rule = lambda key, priority: register(BACKWARD_RULES, key, priority)  # noqa: E731


@dataclass
class BackwardEvidence:
    """``nodes``: name -> {"children": [...]} as the grader built the graph; ``calls``: the names
    whose ``_backward`` ran, in order; ``grads``: each node's gradient afterwards."""

    nodes: dict[str, dict]
    root: str
    calls: list[str]
    grads: dict
    expected_grads: dict[str, float]

    @cached_property
    def counts(self) -> dict[str, int]:
        tally = Counter(self.calls)
        return {n: tally[n] for n in self.nodes}

    @cached_property
    def internal(self) -> list[str]:
        """The reachable nodes that have inputs."""
        reachable, stack = set(), [self.root]
        while stack:
            name = stack.pop()
            if name not in reachable:
                reachable.add(name)
                stack.extend(self.nodes[name]["children"])
        return [n for n in self.nodes if n in reachable and self.nodes[n]["children"]]

    @cached_property
    def order(self) -> tuple[int, int]:
        """(judged, wrong): parent-child pairs of inner nodes both called, and those called child first."""
        first: dict[str, int] = {}
        for i, name in enumerate(self.calls):
            first.setdefault(name, i)
        judged = [(p, c) for p in self.internal for c in set(self.nodes[p]["children"])
                  if self.nodes[c]["children"] and p in first and c in first]
        return len(judged), sum(first[p] > first[c] for p, c in judged)


@backward_rule("backward-calls-nothing", 5)
def not_one_backward_is_called(e: BackwardEvidence) -> bool:
    """Not even the root's ``_backward`` ran: an unfinished ``backward`` (the sort never used), or one that a
    flag switches off; walking recursively is not what is missing."""
    return not e.calls and bool(e.internal)


@backward_rule("backward-no-visited", 10)
def a_node_is_called_twice(e: BackwardEvidence) -> bool:
    return any(count > 1 for count in e.counts.values())


@backward_rule("backward-no-seed", 20)
def nothing_flows_from_the_root(e: BackwardEvidence) -> bool:
    others = [n for n in e.nodes if n != e.root]
    return bool(e.calls) and all(close(e.grads.get(n), 0.0) for n in others) and any(
        abs(e.expected_grads.get(n, 0.0)) > 1e-9 for n in others)


@backward_rule("backward-skips-nodes", 30)
def a_reachable_node_is_never_called(e: BackwardEvidence) -> bool:
    return any(e.counts[n] == 0 for n in e.internal)


@backward_rule("backward-not-reversed", 40)
def every_child_before_its_parent(e: BackwardEvidence) -> bool:
    judged, wrong = e.order
    return judged > 0 and wrong == judged


@backward_rule("backward-no-topo", 50)
def some_child_before_its_parent(e: BackwardEvidence) -> bool:
    return e.order[1] > 0


def diagnose_backward(nodes: dict[str, dict], root: str, obs: dict,
                      expected_grads: dict[str, float]) -> Diagnosis | None:
    """Name the bug behind a wrong ``backward()``, from the order of ``_backward`` calls."""
    evidence = BackwardEvidence(nodes, root, list(obs.get("calls") or []), obs.get("grads") or {}, expected_grads)
    return first_match(BACKWARD_RULES, "backward", evidence)
